#pragma once

// The future-like result of a facade call. Waiting is optional: a caller that
// drops it pays no round trip, and the call still completes. Dropping one is
// how actors use the facade: they must not wait on it.

#include <utility>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "presence/results.hpp"

namespace presence {

namespace detail {

struct op_state;

/// Shared ownership of an op_state. An intrusive count rather than a
/// shared_ptr: the facade recycles states (one allocation and one
/// cross-thread free less per call, docs/performance.md).
class op_ref {
public:
  op_ref() noexcept = default;

  /// Adopts one reference.
  explicit op_ref(op_state* ptr) noexcept : ptr_(ptr) {
  }

  op_ref(const op_ref& other) noexcept;

  op_ref(op_ref&& other) noexcept : ptr_(other.release()) {
  }

  op_ref& operator=(op_ref other) noexcept {
    std::swap(ptr_, other.ptr_);
    return *this;
  }

  ~op_ref() {
    if (ptr_ != nullptr)
      drop(ptr_);
  }

  /// Drops the reference (a slab resets erased values this way).
  void reset() noexcept {
    if (auto ptr = release())
      drop(ptr);
  }

  /// Gives up the reference without dropping it.
  op_state* release() noexcept {
    return std::exchange(ptr_, nullptr);
  }

  op_state* get() const noexcept {
    return ptr_;
  }

  op_state* operator->() const noexcept {
    return ptr_;
  }

  op_state& operator*() const noexcept {
    return *ptr_;
  }

  explicit operator bool() const noexcept {
    return ptr_ != nullptr;
  }

private:
  static void drop(op_state* ptr) noexcept;

  op_state* ptr_ = nullptr;
};

} // namespace detail

template <class T>
class pending {
public:
  pending() = default;

  explicit pending(detail::op_ref state) : state_(std::move(state)) {
  }

  /// True once the outcome is known (immediately for invalid input). Never
  /// blocks: legal everywhere.
  bool ready() const;

  /// Blocks until the outcome is known. Inside an actor (on a scheduler
  /// worker thread, where waiting could deadlock the registry) it does not
  /// wait and returns `blocking_call_in_actor`, whether or not the outcome is
  /// known yet (README, "Blocking calls inside actors").
  caf::error wait() const;

  /// Blocks for at most `timeout`; true if the outcome is known. Inside an
  /// actor it does not wait: it returns `ready()`.
  bool wait_for(caf::timespan timeout) const;

  /// Blocks until the outcome is known and returns it. Inside an actor it
  /// does not wait and fails with `blocking_call_in_actor`, unless the call
  /// failed at once on invalid input (then that error).
  caf::expected<T> get() const;

private:
  detail::op_ref state_;
};

// Defined in the library for the two result types the facade produces.
extern template class pending<change_result>;
extern template class pending<delivery_report>;

} // namespace presence

#pragma once

// The future-like result of a facade call. Waiting is optional: a caller that
// drops it pays no round trip, and the call still completes.

#include <utility>

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

  /// True once the outcome is known (immediately for invalid input).
  bool ready() const;

  /// Blocks until the outcome is known.
  void wait() const;

  /// Blocks for at most `timeout`; true if the outcome is known.
  bool wait_for(caf::timespan timeout) const;

  /// Blocks until the outcome is known and returns it.
  caf::expected<T> get() const;

private:
  detail::op_ref state_;
};

// Defined in the library for the two result types the facade produces.
extern template class pending<change_result>;
extern template class pending<delivery_report>;

} // namespace presence

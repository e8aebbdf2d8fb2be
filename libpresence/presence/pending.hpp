#pragma once

// The future-like result of a facade call. Waiting is optional: a caller that
// drops it pays no round trip, and the call still completes.

#include <memory>

#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "presence/results.hpp"

namespace presence {

namespace detail {

struct op_state;

} // namespace detail

template <class T>
class pending {
public:
  pending() = default;

  explicit pending(std::shared_ptr<detail::op_state> state)
    : state_(std::move(state)) {
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
  std::shared_ptr<detail::op_state> state_;
};

// Defined in the library for the two result types the facade produces.
extern template class pending<change_result>;
extern template class pending<delivery_report>;

} // namespace presence

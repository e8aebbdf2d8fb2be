#pragma once

// Presence events waiting to go out: one batch for every subscriber, with
// sequence numbers that continue from batch to batch. The registry flushes
// when its mailbox runs dry, and at least every `max_delay` under a steady
// stream of work (whose flush message would otherwise wait behind it).

#include <cstdint>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/timespan.hpp>

#include "presence/presence_event.hpp"

namespace presence::detail {

class event_outbox {
public:
  using time_point = caf::actor_clock::time_point;

  explicit event_outbox(caf::timespan max_delay = caf::timespan{10'000'000})
    : max_delay_(max_delay) {
  }

  /// A batch holds at most this many events, so a burst (a peer's snapshot)
  /// goes out as several batches whose vectors stay under malloc's mmap
  /// threshold: one vector of the whole burst, freed, raised it for the
  /// whole process (memory/huge_pages.hpp). The owner sends a full batch at
  /// once.
  static constexpr size_t max_batch = 512;

  void add(presence_event ev) {
    events_.push_back(std::move(ev));
  }

  bool full() const noexcept {
    return events_.size() >= max_batch;
  }

  bool empty() const noexcept {
    return events_.empty();
  }

  /// The latest event (precondition: not empty).
  const presence_event& back() const {
    return events_.back();
  }

  /// The events so far as one batch, numbered from where the last batch
  /// ended; empty if there are none. Either way a flush happened at `now`.
  presence_events take(time_point now);

  /// Whether events wait and the last flush is `max_delay` ago.
  bool overdue(time_point now) const noexcept {
    return !events_.empty() && now - last_flush_ >= max_delay_;
  }

  /// Starts the clock for `overdue` (the registry's start).
  void start(time_point now) noexcept {
    last_flush_ = now;
  }

private:
  caf::timespan max_delay_;
  std::vector<presence_event> events_;
  uint64_t next_seq_ = 0;
  time_point last_flush_;
};

} // namespace presence::detail

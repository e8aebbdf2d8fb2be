#pragma once

// The soak's pushers: one that confirms everything, one that fails or stalls
// a share of its batches, and a mortal one that quits holding a batch when
// told to (the soak then subscribes a fresh one).

#include <atomic>
#include <cstdint>
#include <memory>

#include <caf/fwd.hpp>

#include "presence/actor_interfaces.hpp"

namespace soak {

/// Counted by the pushers, read by the soak's main thread.
struct pusher_counts {
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> deliveries{0};
  /// Batches answered with an error.
  std::atomic<uint64_t> failed{0};
  /// Batches never answered (the registry times them out).
  std::atomic<uint64_t> stalled{0};
  /// Batches a mortal pusher held when it quit.
  std::atomic<uint64_t> died_holding{0};
};

/// Confirms every batch at once.
presence::pusher_actor spawn_good_pusher(caf::actor_system& sys,
                                         std::shared_ptr<pusher_counts> c);

/// Answers `fail_rate` of its batches with an error and leaves `stall_rate`
/// unanswered (the response promise is dropped, so only the registry's
/// timeout ends the request); confirms the rest.
presence::pusher_actor spawn_flaky_pusher(caf::actor_system& sys,
                                          std::shared_ptr<pusher_counts> c,
                                          double fail_rate, double stall_rate,
                                          uint64_t seed);

/// Tells one mortal pusher to die, and tells the soak that it did.
struct mortal_switch {
  std::atomic<bool> die{false};
  std::atomic<bool> dead{false};
};

/// Confirms batches until `sw->die` is set, then quits on the next batch
/// without answering it (the registry fails it and unsubscribes the pusher).
presence::pusher_actor spawn_mortal_pusher(caf::actor_system& sys,
                                           std::shared_ptr<pusher_counts> c,
                                           std::shared_ptr<mortal_switch> sw);

} // namespace soak

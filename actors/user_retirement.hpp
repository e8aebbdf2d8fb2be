#pragma once

// Retiring user actors: where a departed user's actor is destroyed.

#include <memory>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "presence/detail/internal_interfaces.hpp"

namespace presence::detail {

struct retirement_queue;

/// Destroys the actors of departed users on a thread of its own, by dropping
/// their last reference: no exit message, so no actor is scheduled for it.
/// Why (docs/design.md, "Retiring user actors"): an exit message per actor
/// schedules every one of them from the registry's worker, and CAF's
/// `stealing` policy collapses on that fan-out; destroying on the registry's
/// own thread would take its time from the pushes.
///
/// The registry owns one; it is not thread-safe itself (registry thread
/// only), the thread it feeds is.
class user_retirement {
public:
  user_retirement();
  ~user_retirement();

  user_retirement(const user_retirement&) = delete;
  user_retirement& operator=(const user_retirement&) = delete;

  /// Takes every handle out of `handles` (which is left empty) and has them
  /// dropped on the retirement thread, spawned at the first call as a
  /// hidden, detached actor of `self`'s system. The actor exits with `self`.
  void hand_over(caf::local_actor* self, std::vector<user_actor>& handles);

private:
  std::shared_ptr<retirement_queue> queue_;
  caf::actor worker_;
};

} // namespace presence::detail

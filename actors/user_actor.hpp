#pragma once

// The user actor: owns one user's device sessions, from the first session to
// the last; then it quits and its memory is freed.

#include <string>

#include <caf/fwd.hpp>

#include "presence/actor_interfaces.hpp"
#include "presence/online_user.hpp"

namespace presence::detail {

/// Spawns the actor for `first.login_id` with its first session already in
/// place, lazily: it costs no scheduling until its first message.
user_actor spawn_user(caf::actor_system& sys, registry_actor registry,
                      online_user first);

} // namespace presence::detail

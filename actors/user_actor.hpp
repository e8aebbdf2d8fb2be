#pragma once

// The user actor: owns one user's device sessions, from the first session to
// the last, decides login policies for new sessions and expires silent ones
// when the registry's idle wheel asks. The registry tells it to exit once the user is
// offline.

#include <string>

#include <caf/actor_clock.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "presence/detail/internal_interfaces.hpp"
#include "presence/online_user.hpp"

namespace presence::detail {

/// Spawns the actor for `first.login_id` with its first session already in
/// place, lazily: it costs no scheduling until its first message. With a
/// positive `idle_timeout` the registry asks it to check for idle sessions
/// (`expire_atom` with the login id) when its oldest activity is due;
/// `first_seen` is the first session's activity on the actor clock.
user_actor spawn_user(caf::actor_system& sys, const online_user& first,
                      caf::timespan idle_timeout,
                      caf::actor_clock::time_point first_seen);

class block_pool;

/// Where user actors live (block_pool.hpp says why they do not come from
/// malloc). One per process, shared by all actor systems.
block_pool& user_actor_pool();

} // namespace presence::detail

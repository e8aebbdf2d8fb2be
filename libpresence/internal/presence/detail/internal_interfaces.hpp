#pragma once

// The typed interfaces only presence's own actors use: the user actor, the
// facade's client actor, and the registry's internal handle. Not installed.

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "presence/actor_interfaces.hpp"
#include "presence/detail/cluster_feed.hpp"
#include "presence/detail/protocol.hpp"

namespace presence::detail {

/// A user actor holds one user's device sessions. The registry mirrors
/// changes it already applied (apply), asks it to decide on new sessions
/// (join, a request: if the actor is gone the registry learns it from the
/// error instead of waiting forever) and to check for idle sessions (expire).
using user_actor
  = caf::typed_actor<caf::reacts_to<apply_atom, user_command>,
                     caf::replies_to<join_atom, user_command>::with<
                       user_update>,
                     caf::replies_to<expire_atom, std::string>::with<
                       user_update>>;

/// The facade's client actor: receives results for the calls it batched.
using client_actor
  = caf::typed_actor<caf::reacts_to<results_atom, client_results>>;

/// The registry as presence's own actors see it: the public requests plus
/// facade batches, user actor updates, its own timers and its relays'
/// reports. The public handle hides these at compile time; actor_cast still
/// reaches them, so the registry checks every internal message's sender at
/// run time (docs/design.md, "Validation and the registry's entry points").
using registry_internal_actor = registry_actor::extend<
  caf::reacts_to<batch_atom, client_batch>, caf::reacts_to<flush_atom>,
  caf::reacts_to<reap_atom>, caf::reacts_to<sweep_atom>,
  caf::reacts_to<user_update>, caf::reacts_to<tick_atom>,
  caf::reacts_to<timeout_atom>, caf::reacts_to<trim_atom>,
  // A pusher relay reports a pusher's answer: batch id, error (none: ok).
  caf::reacts_to<pushed_atom, uint64_t, caf::error>,
  // The node's cluster actor (cluster_feed.hpp): it attaches once with its
  // node name and handle, then feeds other owners' changes, moves and node
  // events.
  caf::replies_to<attach_cluster_atom, std::string, caf::actor>::with<
    local_changes>,
  caf::reacts_to<replica_atom, remote_update>,
  caf::reacts_to<move_out_atom, std::string, std::string, std::string>,
  caf::reacts_to<node_event_atom, bool, std::string>,
  caf::reacts_to<peer_stats_atom, std::vector<peer_stats>, uint64_t>,
  // The owner's answer to a routed push: node, the registry's ticket.
  caf::reacts_to<routed_atom, std::string, uint64_t, op_result>>;

} // namespace presence::detail

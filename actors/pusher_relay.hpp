#pragma once

// The relay between the registry and one pusher. It sends the registry's
// delivery batches to the pusher as requests and reports each answer back as
// (pushed_atom, batch id, error). CAF 0.17 keeps the response handler of a
// request until it is answered or the requester exits, so a pusher that never
// answers would pin memory per batch in whoever made the request; making
// the requests here lets the registry free them by replacing the relay
// (docs/design.md, "The push pipeline").

#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include "presence/detail/internal_interfaces.hpp"

namespace presence::detail {

/// Registry to a relay it replaces: (relay_handover_atom, caf::actor next).
/// Once the relay has requested every batch it was sent, it tells `next` to
/// start (relay_go_atom), so that batches reach the pusher in order.
using relay_handover_atom = caf::atom_constant<caf::atom("pHandover")>;
using relay_go_atom = caf::atom_constant<caf::atom("pRelayGo")>;

/// Spawns a relay from `registry` to `pusher`. With `await_go`, it holds the
/// batches it gets until its predecessor sends relay_go_atom. It exits only
/// when told to (an exit message, not a kill: a relay told to exit while it
/// waits for its go exits after it, and lets a successor waiting for it
/// start).
caf::actor spawn_pusher_relay(caf::actor_system& sys, registry_internal_actor registry,
                              pusher_actor pusher, bool await_go);

} // namespace presence::detail

#pragma once

// What the registry and its node's cluster actor tell each other
// (docs/design.md, "The registry and the cluster actor"). Local messages
// only: they never cross nodes, so they carry plain presence values.
//
// - The cluster actor attaches with (attach_cluster_atom, node name, its
//   handle). The registry answers with every session this node owns (as
//   upserts), names its own sessions after the node from then on, stamps
//   their connect_time itself, and after each flush in which its own
//   sessions changed sends (local_changes_atom, local_changes) to the
//   cluster actor, in the order the changes happened.
// - The cluster actor sends (replica_atom, remote_update) for the sessions
//   other nodes own, as its view of them changes. The registry takes both
//   only from the attached actor of its own node.
// - (move_out_atom, login id, token, node): a newer login of that token on
//   `node` won (cluster/conflict.hpp): the registry drops its own session
//   with a `moved` event (reason: the node) and replicates the removal.
// - (forward_atom, node, client_op) -> op_result: the registry asks the
//   cluster actor to apply a write on `node`, which owns sessions it
//   touches. The owner's cluster actor hands the op to its registry as a
//   client batch (validated as foreign input); the owner sends the delta of
//   the change before its answer on the same link, and the cluster actor
//   applies it here before it answers, so the caller reads its write.
// - (route_atom, node, client_op): a push's part for the sessions `node`
//   owns (docs/design.md, "Pushes across nodes"): a push_users op with the
//   message once and the login ids, or a broadcast op, its `ticket` the
//   registry's. The owner's cluster actor hands it to its registry as a
//   client batch, which delivers it to that node's own sessions only (never
//   to another owner's, never buffered) with the origin's message id and
//   timestamp. One-way, not a request (cluster/routed_pushes.hpp): the
//   cluster actor answers with (routed_atom, node, ticket, op_result), the
//   owner's partial delivery_report or the part's failure
//   (remote_link_unreachable when the owner is not linked or is lost,
//   request_timeout after request-timeout + pusher-timeout).
// - (node_event_atom, up, node): a peer joined or was lost; the registry
//   emits `node_up` / `node_down` (the event's session names only the node).
// - (peer_stats_atom, peers, digest) every tick: the peers and the view
//   digest as the cluster actor sees them, shown by stats() as they are.
//
// As the registry implements it (registry_internal_actor): attach is
// (attach_cluster_atom, std::string, caf::actor) -> local_changes, taken
// from an actor of this node once (`cluster_already_attached` after);
// node events are (node_event_atom, bool up, std::string node). A batch the
// attached cluster actor sends gets origin::cluster_peer: validated, applied
// to this node's sessions only, never forwarded again. Messages the
// registry refuses are counted in presence_stats::rejected and dropped.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include "memory/huge_pages.hpp"
#include "presence/online_user.hpp"

namespace presence::detail {

using attach_cluster_atom = caf::atom_constant<caf::atom("pAttachCl")>;
using local_changes_atom = caf::atom_constant<caf::atom("pLocalCh")>;
using replica_atom = caf::atom_constant<caf::atom("pReplica")>;
using move_out_atom = caf::atom_constant<caf::atom("pMoveOut")>;
using forward_atom = caf::atom_constant<caf::atom("pForward")>;
using node_event_atom = caf::atom_constant<caf::atom("pNodeEv")>;
using route_atom = caf::atom_constant<caf::atom("pRoute")>;
using peer_stats_atom = caf::atom_constant<caf::atom("pPeerSt")>;
using routed_atom = caf::atom_constant<caf::atom("pRouted")>;

/// A change of a session this node owns.
struct local_change {
  /// Else a new session or a changed one (same login id and token).
  bool removed = false;
  /// For a removal only login_id and token matter.
  online_user session;
};

/// Mapped apart from malloc when big (the answer to an attach; a flush
/// sends at most cluster_link::max_batch): memory/huge_pages.hpp says why.
using local_changes
  = std::vector<local_change, huge_page_allocator<local_change>>;

/// A change of a session another node owns, as the cluster actor decided it
/// (it resolves a token held by several owners before it tells the
/// registry).
struct remote_change {
  /// Else the session is added, or replaces the table's session with the
  /// same (login id, token) if that one belongs to another remote node.
  bool removed = false;
  online_user session;
};

/// Changes of one owner's sessions, applied in order. `reason` becomes the
/// reason of the events they cause: "replicated" for an owner's own changes,
/// "node_up" for the sessions of a node that (re)joined, "node_down" for
/// those of a node that was lost, "node_left" for a graceful leave.
struct remote_update {
  std::string node;
  std::string reason;
  /// A snapshot's update holds every session of the node at once, allocated
  /// once and mapped apart from malloc (memory/huge_pages.hpp says why).
  std::vector<remote_change, huge_page_allocator<remote_change>> changes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, local_change& x) {
  return f(caf::meta::type_name("presence::detail::local_change"), x.removed,
           x.session);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remote_change& x) {
  return f(caf::meta::type_name("presence::detail::remote_change"),
           x.removed, x.session);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remote_update& x) {
  return f(caf::meta::type_name("presence::detail::remote_update"), x.node,
           x.reason, x.changes);
}

} // namespace presence::detail

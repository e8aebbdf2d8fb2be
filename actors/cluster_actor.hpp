#pragma once

// The cluster actor: one per node, the only actor peers talk to
// (docs/design.md, "The cluster actor"). It joins peers through the
// handshake, replicates this node's sessions to them (owner_log), keeps
// their sessions (replica_state) and tells the registry what its view must
// show (view_resolver). The registry is never published: a peer reaches
// nothing but this actor, which drops what it does not expect and ignores
// exit and error messages from other nodes.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "cluster/dialer.hpp"
#include "cluster/handshake.hpp"
#include "cluster/membership.hpp"
#include "presence/atoms.hpp"
#include "presence/validation.hpp"

namespace presence::cluster {

// Between cluster actors of different nodes.
using hello_atom = caf::atom_constant<caf::atom("pHello")>;
using delta_atom = caf::atom_constant<caf::atom("pDelta")>;
using snapshot_atom = caf::atom_constant<caf::atom("pSnapshot")>;
using status_atom = caf::atom_constant<caf::atom("pStatus")>;
using resync_atom = caf::atom_constant<caf::atom("pResync")>;
using gossip_atom = caf::atom_constant<caf::atom("pGossip")>;
using leave_atom = caf::atom_constant<caf::atom("pLeave")>;
// Local: queries, the timer, dial outcomes.
using members_atom = caf::atom_constant<caf::atom("pMembers")>;
using digest_atom = caf::atom_constant<caf::atom("pDigest")>;
using greet_atom = caf::atom_constant<caf::atom("pGreet")>;
using cluster_tick_atom = caf::atom_constant<caf::atom("pClTick")>;
using start_atom = caf::atom_constant<caf::atom("pClStart")>;

/// What the cluster actor needs to run; start_cluster fills it from the
/// `presence.cluster.*` options.
struct cluster_config {
  std::string cluster;
  /// This node: its name, advertised address and incarnation.
  node_address self;
  std::vector<std::pair<std::string, uint16_t>> seeds;
  caf::timespan request_timeout = std::chrono::seconds{10};
  size_t max_batch_bytes = 1024 * 1024;
  /// CAF's heartbeat settings, compared at every join.
  int64_t heartbeat_ms = 0;
  int64_t connection_timeout_ms = 0;
  /// How often it announces (incarnation, seq) to its peers and starts the
  /// dials that are due.
  caf::timespan tick_interval = std::chrono::milliseconds{250};
  /// What a peer's sessions are checked against.
  limits lim;
};

/// Starts a connection to host:port without blocking the cluster actor;
/// `self` then receives (dial_result_atom, attempt, caf::actor) or
/// (dial_result_atom, attempt, caf::error). dialer.hpp has the real one.
using dial_function = std::function<void(
  caf::actor self, uint64_t attempt, std::string host, uint16_t port)>;

/// Counts what the cluster actor refused or dropped.
struct cluster_counters {
  /// Messages from peers that were malformed, unexpected, of another
  /// incarnation, or from an actor that never joined.
  uint64_t dropped = 0;
  /// Joins refused by the handshake, either side.
  uint64_t refused = 0;
  /// Exit and error messages from other nodes, ignored.
  uint64_t ignored = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_counters& x) {
  return f(caf::meta::type_name("presence::cluster::cluster_counters"),
           x.dropped, x.refused, x.ignored);
}

/// The cluster actor's local interface (peers use the untyped messages
/// above). The digest is the view's (view_digest.hpp): nodes with the same
/// view answer the same value.
using cluster_actor = caf::typed_actor<
  caf::replies_to<members_atom>::with<std::vector<member_info>>,
  caf::replies_to<digest_atom>::with<uint64_t>,
  caf::replies_to<stats_atom>::with<cluster_counters>>;

/// Spawns the cluster actor for `registry`. Publishing it is the caller's
/// job; then (start_atom, port) tells it the port it listens on, and it
/// attaches to the registry and dials its seeds.
caf::actor spawn_cluster_actor(caf::actor_system& sys, caf::actor registry,
                               cluster_config cfg, dial_function dial);

} // namespace presence::cluster

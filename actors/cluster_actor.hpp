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
#include "presence/cluster_members.hpp"
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
/// (ack_atom, incarnation, seq): the sender applied the receiver's own
/// changes of that incarnation through seq (cluster/peer_window.hpp).
using ack_atom = caf::atom_constant<caf::atom("pAck")>;
// Local: queries, the timer, dial outcomes.
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
  /// This node's presence.pusher-timeout: a routed push may take that long
  /// on its owner, plus the request timeout (nodes are expected to agree).
  caf::timespan pusher_timeout = std::chrono::seconds{5};
  size_t max_batch_bytes = 1024 * 1024;
  /// Unacked delta bytes to one peer before it turns stale.
  size_t peer_window_bytes = size_t{64} << 20;
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

/// Spawns the cluster actor for `registry`. Publishing it is the caller's
/// job; then the request (start_atom, node name, host, port) tells it who it
/// is and where peers reach it (both may depend on the bound port), and it
/// attaches to the registry and dials its seeds. The answer is true once
/// attached, or the registry's refusal (then the actor quits).
caf::actor spawn_cluster_actor(caf::actor_system& sys, caf::actor registry,
                               cluster_config cfg, dial_function dial);

} // namespace presence::cluster

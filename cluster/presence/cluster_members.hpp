#pragma once

// What a cluster node tells about itself: its members, the counters of what
// it refused, and a digest of its view. The handle start_cluster answers.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "presence/atoms.hpp"

namespace presence {

using members_atom = caf::atom_constant<caf::atom("pMembers")>;
using digest_atom = caf::atom_constant<caf::atom("pDigest")>;

enum class peer_state : uint8_t {
  /// Joined: its link is up and it replicates.
  up,
  /// Up, but it fell behind what this node sent it (its window is full):
  /// it gets a snapshot once its backlog drains.
  stale,
  /// Known, but its link is gone (it crashed, was cut off or left).
  down,
};

std::string to_string(peer_state x);

/// One line of the membership query.
struct member_info {
  std::string node;
  std::string host;
  uint16_t port = 0;
  /// Random per start of the node.
  uint64_t incarnation = 0;
  peer_state state = peer_state::up;
  /// The owner's last announced change minus the last one applied here:
  /// how far this node's copy of the peer's sessions lags (0 for self).
  uint64_t lag = 0;
  bool self = false;
  /// Bytes this node sent the peer that it has not acknowledged yet: its
  /// window's use (0 for self and for a node that is down).
  uint64_t window_bytes = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_info& x) {
  return f(caf::meta::type_name("presence::member_info"), x.node,
           x.host, x.port, x.incarnation, x.state, x.lag, x.self,
           x.window_bytes);
}

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
  return f(caf::meta::type_name("presence::cluster_counters"),
           x.dropped, x.refused, x.ignored);
}

/// A cluster node's handle. `members_atom` lists this node first, then every
/// node it knows by name; `digest_atom` answers a hash of its view of every
/// session in the cluster (nodes with the same view answer the same value);
/// `stats_atom` what it refused or dropped.
using cluster_actor = caf::typed_actor<
  caf::replies_to<members_atom>::with<std::vector<member_info>>,
  caf::replies_to<digest_atom>::with<uint64_t>,
  caf::replies_to<stats_atom>::with<cluster_counters>>;

} // namespace presence

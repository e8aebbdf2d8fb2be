#pragma once

// Counters for metrics exporters. Counts since the registry started, except
// users, sessions, buffer_size, local_users, local_sessions and nodes, which
// are current, and peers and view_digest, as of the cluster's last tick.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace presence {

/// One peer as this node's cluster actor last reported it (every tick of
/// the cluster, 250 ms by default).
struct peer_stats {
  std::string node;
  /// "up", "stale" (its window is full: it gets a snapshot once it has
  /// caught up) or "down".
  std::string state;
  /// The peer's last announced change minus the last one applied here.
  uint64_t lag = 0;
  /// Bytes sent to the peer that it has not acknowledged yet.
  uint64_t window_bytes = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_stats& x) {
  return f(caf::meta::type_name("presence::peer_stats"), x.node, x.state,
           x.lag, x.window_bytes);
}

struct presence_stats {
  /// Users online now (in a cluster: in this node's view of every node).
  uint64_t users = 0;
  /// Sessions online now (in a cluster: in this node's view).
  uint64_t sessions = 0;
  /// Push operations routed (push, broadcast, kicks, buffered replays).
  uint64_t pushes = 0;
  /// Session deliveries that at least one pusher accepted.
  uint64_t deliveries = 0;
  /// Messages put into the offline buffer.
  uint64_t buffered = 0;
  /// Messages held in the offline buffer now.
  uint64_t buffer_size = 0;
  /// Offline-buffer messages lost: evicted by the per-user limit or the byte
  /// limit, or expired before their user came back.
  uint64_t drops = 0;
  /// Sessions taken offline by the idle timeout.
  uint64_t expiries = 0;
  /// Sessions kicked by a caller.
  uint64_t kicks = 0;
  /// Sessions kicked by a login policy to make room.
  uint64_t replaced = 0;
  /// Presence events emitted.
  uint64_t events = 0;
  /// Messages the registry rejected or ignored: malformed or forged batches,
  /// internal messages from outside, unexpected message types.
  uint64_t rejected = 0;
  /// Users with at least one session this node owns (logged in through it);
  /// equal to `users` on a single node.
  uint64_t local_users = 0;
  /// Sessions this node owns; equal to `sessions` on a single node.
  uint64_t local_sessions = 0;
  /// Nodes up in this node's view, itself included; 1 on a single node.
  uint64_t nodes = 1;
  /// Every other node this node knows, by name (empty on a single node).
  std::vector<peer_stats> peers;
  /// A hash of this node's view of every session in the cluster, as of the
  /// cluster's last tick: nodes with the same view show the same value (0 on
  /// a single node).
  uint64_t view_digest = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, presence_stats& x) {
  return f(caf::meta::type_name("presence::presence_stats"), x.users,
           x.sessions, x.pushes, x.deliveries, x.buffered, x.buffer_size,
           x.drops, x.expiries, x.kicks, x.replaced, x.events, x.rejected,
           x.local_users, x.local_sessions, x.nodes, x.peers, x.view_digest);
}

} // namespace presence

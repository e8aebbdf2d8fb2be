#pragma once

// Turns what replica_state changed into what the registry's table must do.
// A token can be held by several owners for a moment (a login raced a move
// between nodes); the table shows one holder, the winner by
// conflict.hpp's order, and this node drops its own copy (a move out) when
// a peer's claim beats it. Each owner decides alone, by the same order, so
// every view ends with one holder (docs/design.md, "Cluster replication").

#include <string>
#include <vector>

#include "cluster/owner_log.hpp"
#include "cluster/replica_state.hpp"
#include "presence/detail/cluster_feed.hpp"

namespace presence::cluster {

/// One thing for the registry to do, in order.
struct registry_step {
  enum class kind : uint8_t {
    /// Apply `update` (other owners' sessions).
    update,
    /// Drop this node's session (login_id, token): `winner` holds it now.
    move_out,
  };
  kind what = kind::update;
  detail::remote_update update;
  std::string login_id;
  std::string token;
  std::string winner;
};

/// The session as the registry shows it, named after its owner (taken by
/// value: a caller done with its copy moves it in).
online_user to_online_user(replica_session x, const std::string& node);

/// What the registry must do for `changes` (in order, each already applied
/// to `replicas`), given this node's own sessions in `local`. The updates
/// carry `reason` (cluster_feed.hpp lists the reasons).
std::vector<registry_step> resolve(view_changes changes,
                                   const std::string& reason,
                                   const owner_log& local,
                                   const replica_state& replicas);

} // namespace presence::cluster

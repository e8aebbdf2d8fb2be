#pragma once

// What operations report back: a change_result for presence changes and a
// delivery_report for pushes.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

namespace presence {

/// The outcome of a presence change. Unknown users and tokens are not errors.
enum class change_status : uint8_t {
  /// A new session was added (the user may have been offline before).
  joined,
  /// A session with the same (login id, token) existed: the same session
  /// logged in again, and its record was replaced (upsert).
  reconnected,
  /// The session was removed; the user still has other sessions.
  left,
  /// The removal took the user's last session: the user is offline.
  user_offline,
  /// The session's activity timestamp was refreshed.
  refreshed,
  /// No user with that login id is online: nothing changed.
  unknown_user,
  /// The user is online but has no session with that token: nothing changed.
  unknown_token,
  /// A pusher was subscribed (or already was).
  subscribed,
  /// A pusher was unsubscribed.
  unsubscribed,
  /// The pusher was not subscribed: nothing changed.
  unknown_pusher,
  /// A session's metadata was replaced.
  updated,
  /// The event subscriber was not subscribed: nothing changed.
  unknown_subscriber,
  /// The old name of `reconnected`, kept for one release. "Replaced" now
  /// means only what `event_kind::replaced` says: a policy evicted a session.
  replaced [[deprecated("use change_status::reconnected")]] = reconnected,
};

std::string to_string(change_status x);

struct change_result {
  change_status status = change_status::unknown_user;
  /// Sessions the user has after the change.
  uint32_t sessions = 0;
  /// Sessions the change removed (mark_offline, mark_offline_all).
  uint32_t removed = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_result& x) {
  return f(caf::meta::type_name("presence::change_result"), x.status,
           x.sessions, x.removed);
}

/// A pusher that failed a push: replied with an error, died, or did not
/// confirm within `presence.pusher-timeout`. In a cluster, a node that owns
/// some of the push's sessions and did not answer in time or was lost fails
/// its part as a whole: `pusher` is 0 then and `reason` is
/// `request_timeout` or `remote_link_unreachable`.
struct pusher_failure {
  caf::actor_id pusher = 0;
  caf::error reason;
  /// The node whose pusher (or whose part) failed; empty for this node.
  std::string node;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pusher_failure& x) {
  return f(caf::meta::type_name("presence::pusher_failure"), x.pusher,
           x.reason, x.node);
}

/// Final once every pusher has confirmed or failed every batch of the push.
struct delivery_report {
  std::string message_id;
  /// Users with at least one session that at least one pusher accepted.
  uint64_t users_reached = 0;
  /// Sessions in the deliveries that at least one pusher accepted.
  uint64_t sessions_reached = 0;
  /// Users targeted (online at routing time).
  uint64_t users_targeted = 0;
  /// Explicitly named users that were not online (empty for broadcasts).
  std::vector<std::string> not_online;
  /// Pushers that failed at least one batch of this push.
  std::vector<pusher_failure> failed_pushers;
  /// Offline users for whom the message was kept in the offline buffer
  /// (`keep_if_offline`).
  uint64_t buffered = 0;
  /// Older buffered messages this push evicted (per-user or byte limit), or
  /// offline users for whom it could not be kept (offline buffer disabled).
  uint64_t dropped = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery_report& x) {
  return f(caf::meta::type_name("presence::delivery_report"), x.message_id,
           x.users_reached, x.sessions_reached, x.users_targeted, x.not_online,
           x.failed_pushers, x.buffered, x.dropped);
}

} // namespace presence

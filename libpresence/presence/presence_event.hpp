#pragma once

// Presence events: what subscribers of the registry learn about sessions
// coming and going. Delivered in batches, in order per user.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "presence/online_user.hpp"

namespace presence {

enum class event_kind : uint8_t {
  /// The user's first session arrived: the user is online. Comes before that
  /// session's `joined`.
  online,
  /// A session joined.
  joined,
  /// A session's record changed: its metadata (reason "metadata"), or the
  /// same token logged in again (reason "reconnect").
  updated,
  /// A session logged out (mark_offline / mark_offline_all).
  left,
  /// A session had no activity for `presence.idle-timeout`.
  expired,
  /// A session was kicked (kick_out_notify, kick_out_session,
  /// kick_out_device); the reason is the caller's.
  kicked,
  /// A login policy made room for a new session by kicking this one.
  replaced,
  /// The user's last session is gone: the user is offline. Comes after that
  /// session's own event.
  offline,
  /// The cluster moved the session to a newer login of its token on another
  /// node (reason: that node's name). Not followed by a `joined` here: the
  /// winner's session arrives as a replica.
  moved,
  /// A peer node joined the cluster; the session names only the node.
  node_up,
  /// A peer node was lost; the session names only the node. Its sessions'
  /// own events (`left`, reason "node_down") come with it.
  node_down,
};

std::string to_string(event_kind x);

struct presence_event {
  event_kind kind = event_kind::joined;
  /// The session concerned (for online/offline: the first/last session).
  online_user session;
  /// Why: "login", "reconnect", "metadata", "logout", "idle", "replaced", or
  /// a kick's reason; online/offline repeat their session event's reason.
  /// Sessions another node owns come and go with the cluster's reason:
  /// "replicated", "node_up", "node_down" or "node_left".
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, presence_event& x) {
  return f(caf::meta::type_name("presence::presence_event"), x.kind,
           x.session, x.reason);
}

/// One batch as a subscriber receives it.
struct presence_events {
  /// Sequence number of the first event in the batch; consecutive batches
  /// continue the sequence, so a subscriber can tell it missed nothing.
  uint64_t first_seq = 0;
  std::vector<presence_event> events;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, presence_events& x) {
  return f(caf::meta::type_name("presence::presence_events"), x.first_seq,
           x.events);
}

} // namespace presence

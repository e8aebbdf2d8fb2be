#pragma once

// One device session of a user.

#include <map>
#include <string>

#include <caf/meta/type_name.hpp>
#include <caf/timestamp.hpp>

namespace presence {

using metadata_map = std::map<std::string, std::string>;

struct online_user {
  /// The account; one user actor exists per online login id.
  std::string login_id;
  /// Identifies this session; unique per session of a login id.
  std::string token;
  /// The device type, e.g. "web", "ios", "android".
  std::string device;
  /// When the session came online (set by the caller or, if left at the
  /// epoch, by the registry; in a cluster always by the owner's registry).
  caf::timestamp connect_time{};
  /// The last time the session showed activity.
  caf::timestamp last_activity{};
  metadata_map metadata;
  /// The node that owns the session (the one it logged in through): empty
  /// on a node without a cluster, else that node's name. Set by the
  /// registry; a caller's value is ignored.
  std::string node;
};

/// Convenience constructor: a session connected now.
online_user make_online_user(std::string login_id, std::string token,
                             std::string device, metadata_map metadata = {});

bool operator==(const online_user& x, const online_user& y);

inline bool operator!=(const online_user& x, const online_user& y) {
  return !(x == y);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, online_user& x) {
  return f(caf::meta::type_name("presence::online_user"), x.login_id, x.token,
           x.device, x.connect_time, x.last_activity, x.metadata, x.node);
}

} // namespace presence

#pragma once

// The operations of the model-based test: one `step` per facade or typed
// registry call, generated from a seed. A failing sequence replays from the
// step list alone, which is what the shrinker needs.

#include <cstdint>
#include <string>
#include <vector>

#include "presence/login_policy.hpp"
#include "presence/online_user.hpp"

namespace presence::model {

enum class step_kind : uint8_t {
  mark_online,
  mark_online_policy,
  mark_offline,
  mark_offline_all,
  update_activity,
  update_metadata,
  push_user,
  push_users,
  broadcast,
  kick,
  kick_session,
  kick_device,
  subscribe_pusher,
  unsubscribe_pusher,
  subscribe_events,
  unsubscribe_events,
  mark_offline_users,
};

struct step {
  step_kind kind = step_kind::mark_online;
  /// Through `online_manager` (true) or a typed request to its registry.
  bool facade = true;
  std::string login_id;
  std::string token;
  std::string device;
  /// mark_online: connect time (ns since the epoch), never 0.
  int64_t connect = 1;
  metadata_map metadata;
  login_policy policy;
  std::vector<std::string> login_ids;
  /// Message type: 0 Text, 1 Binary, 2 Notification, 3 Custom("c").
  int type = 0;
  /// Content, or the kick's reason.
  std::string content;
  bool keep_if_offline = false;
  /// Pusher slot (0 and 1 confirm, 2 fails every batch) or subscriber slot.
  int slot = 0;
};

std::string to_string(const step& x);

/// `n` steps from `seed`, on a few users, tokens and devices so that calls
/// meet each other; about one in twenty has invalid input.
std::vector<step> generate(uint64_t seed, size_t n);

} // namespace presence::model

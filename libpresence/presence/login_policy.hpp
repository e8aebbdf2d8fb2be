#pragma once

// Login policies: how many sessions a user may hold, and whether a device type
// may hold more than one. Set globally (`presence.max-sessions`,
// `presence.one-session-per-device`, `presence.on-session-limit`) or per
// `mark_online` call.

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

namespace presence {

/// What happens when a new session breaks a policy.
enum class limit_action : uint8_t {
  /// The oldest conflicting session is kicked (KickOut, reason "replaced")
  /// and the new session joins.
  replace,
  /// The new session is refused with `too_many_sessions` or `device_taken`;
  /// nothing changes.
  reject,
};

std::string to_string(limit_action x);

/// Parses "replace" or "reject"; anything else is `invalid_policy`.
caf::expected<limit_action> parse_limit_action(const std::string& name);

/// The largest accepted `max_sessions`: more devices than any person owns,
/// small enough that a typo (or a negative number cast to unsigned) is caught.
constexpr int32_t max_sessions_limit = 1024;

struct login_policy {
  /// At most this many sessions per user; 0 means unlimited.
  int32_t max_sessions = 0;
  /// At most one session per device type ("ios", "web", ...).
  bool one_per_device = false;
  limit_action on_limit = limit_action::replace;

  /// The default: unlimited sessions, any number per device.
  static login_policy unlimited() {
    return {};
  }

  bool is_unlimited() const noexcept {
    return max_sessions == 0 && !one_per_device;
  }
};

/// `invalid_policy` for a negative or absurd limit or an unknown action.
caf::error validate_policy(const login_policy& x);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, login_policy& x) {
  return f(caf::meta::type_name("presence::login_policy"), x.max_sessions,
           x.one_per_device, x.on_limit);
}

} // namespace presence

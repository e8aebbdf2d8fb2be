// Names and checks for login policies and presence events.

#include "presence/error.hpp"
#include "presence/login_policy.hpp"
#include "presence/presence_event.hpp"

namespace presence {

std::string to_string(limit_action x) {
  switch (x) {
    case limit_action::replace:
      return "replace";
    case limit_action::reject:
      return "reject";
  }
  return "unknown";
}

caf::expected<limit_action> parse_limit_action(const std::string& name) {
  if (name == "replace")
    return limit_action::replace;
  if (name == "reject")
    return limit_action::reject;
  return make_error(error::invalid_policy,
                    "unknown limit action \"" + name
                      + "\" (expected \"replace\" or \"reject\")");
}

caf::error validate_policy(const login_policy& x) {
  if (x.max_sessions < 0 || x.max_sessions > max_sessions_limit)
    return make_error(error::invalid_policy,
                      "max_sessions must be in [0, "
                        + std::to_string(max_sessions_limit) + "], got "
                        + std::to_string(x.max_sessions));
  // An action that arrived from another node or a cast may be out of range.
  if (x.on_limit != limit_action::replace && x.on_limit != limit_action::reject)
    return make_error(error::invalid_policy,
                      "unknown limit action "
                        + std::to_string(static_cast<int>(x.on_limit)));
  return caf::none;
}

std::string to_string(event_kind x) {
  switch (x) {
    case event_kind::online:
      return "online";
    case event_kind::joined:
      return "joined";
    case event_kind::updated:
      return "updated";
    case event_kind::left:
      return "left";
    case event_kind::expired:
      return "expired";
    case event_kind::kicked:
      return "kicked";
    case event_kind::replaced:
      return "replaced";
    case event_kind::offline:
      return "offline";
    case event_kind::moved:
      return "moved";
    case event_kind::node_up:
      return "node_up";
    case event_kind::node_down:
      return "node_down";
  }
  return "unknown";
}

} // namespace presence

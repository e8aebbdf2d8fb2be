#include "tests/model/steps.hpp"

#include <random>
#include <sstream>

namespace presence::model {

namespace {

const char* kind_name(step_kind x) {
  switch (x) {
    case step_kind::mark_online:
      return "mark_online";
    case step_kind::mark_online_policy:
      return "mark_online(policy)";
    case step_kind::mark_offline:
      return "mark_offline";
    case step_kind::mark_offline_all:
      return "mark_offline_all";
    case step_kind::update_activity:
      return "update_activity";
    case step_kind::update_metadata:
      return "update_metadata";
    case step_kind::push_user:
      return "push_user";
    case step_kind::push_users:
      return "push_users";
    case step_kind::broadcast:
      return "broadcast";
    case step_kind::kick:
      return "kick_out_notify";
    case step_kind::kick_session:
      return "kick_out_session";
    case step_kind::kick_device:
      return "kick_out_device";
    case step_kind::subscribe_pusher:
      return "register_pusher";
    case step_kind::unsubscribe_pusher:
      return "unregister_pusher";
    case step_kind::subscribe_events:
      return "subscribe_events";
    case step_kind::unsubscribe_events:
      return "unsubscribe_events";
    case step_kind::mark_offline_users:
      return "mark_offline_users";
  }
  return "?";
}

} // namespace

std::string to_string(const step& x) {
  std::ostringstream out;
  out << kind_name(x.kind) << (x.facade ? " [facade]" : " [typed]");
  switch (x.kind) {
    case step_kind::mark_online_policy:
      out << " policy{max=" << x.policy.max_sessions
          << ",per_device=" << x.policy.one_per_device << ","
          << to_string(x.policy.on_limit) << "}";
      [[fallthrough]];
    case step_kind::mark_online:
      out << " " << x.login_id << "/" << x.token << "@" << x.device
          << " connect=" << x.connect << " md=" << x.metadata.size();
      break;
    case step_kind::update_metadata:
      out << " " << x.login_id << "/" << x.token << " md="
          << x.metadata.size();
      break;
    case step_kind::mark_offline:
    case step_kind::update_activity:
      out << " " << x.login_id << "/" << x.token;
      break;
    case step_kind::mark_offline_all:
      out << " " << x.login_id;
      break;
    case step_kind::mark_offline_users:
      for (auto& id : x.login_ids)
        out << " " << id;
      break;
    case step_kind::push_users:
      for (auto& id : x.login_ids)
        out << " " << id;
      [[fallthrough]];
    case step_kind::push_user:
    case step_kind::broadcast:
      if (x.kind == step_kind::push_user)
        out << " " << x.login_id;
      out << " type=" << x.type << " \"" << x.content << "\""
          << (x.keep_if_offline ? " keep" : "");
      break;
    case step_kind::kick:
      out << " " << x.login_id << " reason=\"" << x.content << "\"";
      break;
    case step_kind::kick_session:
      out << " " << x.login_id << "/" << x.token << " reason=\"" << x.content
          << "\"";
      break;
    case step_kind::kick_device:
      out << " " << x.login_id << "@" << x.device << " reason=\""
          << x.content << "\"";
      break;
    default:
      out << " slot=" << x.slot;
  }
  return out.str();
}

std::vector<step> generate(uint64_t seed, size_t n) {
  std::mt19937_64 rng{seed};
  auto below = [&](uint64_t k) { return rng() % k; };
  auto login = [&] { return "u" + std::to_string(below(4)); };
  auto token = [&] { return "t" + std::to_string(below(4)); };
  auto device = [&] {
    static const char* devices[] = {"web", "ios", "android"};
    return std::string{devices[below(3)]};
  };
  // Weights: session changes most, then pushes, then kicks and members.
  static const step_kind kinds[] = {
    step_kind::mark_online,        step_kind::mark_online,
    step_kind::mark_online,        step_kind::mark_online_policy,
    step_kind::mark_online_policy, step_kind::mark_offline,
    step_kind::mark_offline_all,   step_kind::update_activity,
    step_kind::update_metadata,    step_kind::push_user,
    step_kind::push_user,          step_kind::push_users,
    step_kind::broadcast,          step_kind::kick,
    step_kind::kick_session,       step_kind::kick_device,
    step_kind::subscribe_pusher,   step_kind::subscribe_pusher,
    step_kind::unsubscribe_pusher, step_kind::subscribe_events,
    step_kind::unsubscribe_events, step_kind::mark_offline_users,
  };
  std::vector<step> out;
  for (size_t i = 0; i < n; ++i) {
    step s;
    s.kind = kinds[below(std::size(kinds))];
    s.facade = below(2) == 0;
    s.login_id = login();
    s.token = token();
    s.device = device();
    // Unique per step, so a reconnect moves a session's age.
    s.connect = static_cast<int64_t>(1 + below(1000) * 1000 + i);
    if (below(3) == 0)
      s.metadata["k" + std::to_string(below(3))] = "v" + std::to_string(i);
    s.policy.max_sessions = static_cast<int32_t>(below(4));
    s.policy.one_per_device = below(2) == 0;
    s.policy.on_limit = below(2) == 0 ? limit_action::replace
                                      : limit_action::reject;
    for (auto k = below(4); k > 0; --k)
      s.login_ids.push_back(login());
    s.type = static_cast<int>(below(4));
    s.content = "m" + std::to_string(i);
    if (s.kind == step_kind::kick || s.kind == step_kind::kick_session
        || s.kind == step_kind::kick_device)
      s.content = below(4) == 0 ? std::string{} : "r" + std::to_string(i);
    s.keep_if_offline = below(2) == 0;
    s.slot = static_cast<int>(below(3));
    if (s.kind == step_kind::subscribe_events
        || s.kind == step_kind::unsubscribe_events)
      s.slot = static_cast<int>(below(2));
    // Invalid input now and then: each must fail with its error, changing
    // nothing.
    switch (below(40)) {
      case 0:
        s.login_id.clear();
        if (s.kind == step_kind::mark_offline_users)
          s.login_ids.emplace_back();
        break;
      case 1:
        s.token.clear();
        break;
      case 2:
        if (s.kind == step_kind::kick_device)
          s.device.clear();
        break;
      case 3:
        // Invalid UTF-8: a Text or Notification push must fail.
        if (s.kind == step_kind::push_user || s.kind == step_kind::push_users
            || s.kind == step_kind::broadcast)
          s.content = "\xc3\x28";
        break;
      default:
        break;
    }
    out.push_back(std::move(s));
  }
  return out;
}

} // namespace presence::model

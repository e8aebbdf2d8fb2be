// One node of a presence cluster, run from options (an INI file or flags),
// answering line commands on stdin. Three of them on loopback (README,
// "A cluster on one machine"):
//
//   cluster_node --presence.cluster.name=demo
//                --presence.cluster.node-name=a --presence.cluster.port=7411
//   cluster_node --presence.cluster.name=demo
//                --presence.cluster.node-name=b --presence.cluster.port=7412
//                --presence.cluster.seeds='["127.0.0.1:7411"]'
//
// It prints one line per event: joins and leaves of sessions and nodes,
// refused joins, deliveries to its own sessions. The multi-process tests
// drive it through the same commands, so each answer is one line (a list
// ends with a summary line).

#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "presence/cluster.hpp"
#include "presence/presence.hpp"

using namespace presence;

namespace {

/// Lines come from the command loop and from actors: one at a time, flushed
/// at once (a test reads them through a pipe).
void say(const std::string& line) {
  static std::mutex mtx;
  std::lock_guard<std::mutex> guard{mtx};
  std::cout << line << std::endl;
}

std::string describe(const presence_event& ev) {
  auto& s = ev.session;
  std::string what = "event " + to_string(ev.kind) + " ";
  if (ev.kind == event_kind::node_up || ev.kind == event_kind::node_down)
    return what + s.node;
  return what + s.login_id + "/" + s.token + " @" + s.node + " (" + ev.reason
         + ")";
}

event_subscriber_actor::behavior_type event_logger() {
  return {
    [](presence_events_atom, const presence_events& batch) {
      for (auto& ev : batch.events)
        say(describe(ev));
    },
  };
}

std::string describe(const delivery_report& r) {
  std::ostringstream out;
  out << "reached " << r.users_reached << " users, " << r.sessions_reached
      << " sessions";
  if (!r.not_online.empty())
    out << ", " << r.not_online.size() << " offline";
  if (r.buffered > 0)
    out << ", " << r.buffered << " buffered";
  if (!r.failed_pushers.empty())
    out << ", " << r.failed_pushers.size() << " failed";
  return out.str();
}

template <class T>
void answer(const std::string& what, const caf::expected<T>& x,
            std::string (*show)(const T&)) {
  if (x)
    say("ok " + what + ": " + show(*x));
  else
    say("error " + what + ": " + render_cluster(x.error()));
}

std::string show_change(const change_result& r) {
  return to_string(r.status) + " (sessions " + std::to_string(r.sessions)
         + ", removed " + std::to_string(r.removed) + ")";
}

std::string show_report(const delivery_report& r) {
  return describe(r);
}

/// The rest of the line after `n` words.
std::string rest(std::istringstream& in) {
  std::string text;
  std::getline(in >> std::ws, text);
  return text;
}

void run_command(caf::actor_system& sys, online_manager& m,
                 const cluster_actor& node, const std::string& line) {
  std::istringstream in{line};
  std::string cmd, user, token;
  in >> cmd;
  if (cmd == "login") {
    std::string device = "web";
    in >> user >> token >> device;
    answer("login", m.mark_online(make_online_user(user, token, device)).get(),
           show_change);
  } else if (cmd == "logout") {
    in >> user >> token;
    if (token.empty())
      answer("logout", m.mark_offline_all(user).get(), show_change);
    else
      answer("logout", m.mark_offline(user, token).get(), show_change);
  } else if (cmd == "who") {
    auto users = m.get_online_users();
    size_t sessions = 0;
    if (users)
      for (auto& u : *users)
        if (auto xs = m.get_user_sessions(u))
          for (auto& s : *xs) {
            ++sessions;
            say("online " + u + "/" + s.token + " " + s.device + " @"
                + s.node);
          }
    say("who: " + std::to_string(users ? users->size() : 0) + " users, "
        + std::to_string(sessions) + " sessions");
  } else if (cmd == "is") {
    in >> user;
    auto x = m.is_online(user);
    say(user + (x && *x ? " online" : " offline"));
  } else if (cmd == "members") {
    caf::scoped_actor self{sys};
    self->request(node, std::chrono::seconds(10), members_atom::value)
      .receive(
        [](std::vector<member_info>& xs) {
          for (auto& x : xs)
            say("member " + x.node + " " + x.host + ":"
                + std::to_string(x.port) + " " + to_string(x.state) + " lag "
                + std::to_string(x.lag) + " window "
                + std::to_string(x.window_bytes) + (x.self ? " self" : ""));
          say("members: " + std::to_string(xs.size()));
        },
        [](caf::error& err) { say("error members: " + render_cluster(err)); });
  } else if (cmd == "digest") {
    caf::scoped_actor self{sys};
    self->request(node, std::chrono::seconds(10), digest_atom::value)
      .receive([](uint64_t x) { say("digest " + std::to_string(x)); },
               [](caf::error& err) { say("error digest: " + render_cluster(err)); });
  } else if (cmd == "push") {
    in >> user;
    answer("push", m.push_to_user(user, rest(in)).get(), show_report);
  } else if (cmd == "broadcast") {
    answer("broadcast", m.broadcast(rest(in)).get(), show_report);
  } else if (cmd == "kick") {
    in >> user;
    answer("kick", m.kick_out_notify(user, rest(in)).get(), show_report);
  } else if (!cmd.empty()) {
    say("error unknown command '" + cmd
        + "' (login, logout, who, is, members, digest, push, broadcast, "
          "kick, quit)");
  }
}

} // namespace

int main(int argc, char** argv) {
  caf::actor_system_config cfg;
  configure(cfg);
  configure_cluster(cfg);
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "options: " << cfg.render(err) << '\n';
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  auto settings = read_cluster_settings(cfg);
  if (!settings) {
    std::cerr << "options: " << render_cluster(settings.error()) << '\n';
    return 2;
  }
  caf::actor_system sys{cfg};
  online_manager manager{sys};
  auto pusher = spawn_callback_pusher(sys, [](const delivery_view& d) {
    for (auto& s : d.sessions)
      say("deliver " + d.login_id + "/" + s.token + ": "
          + d.message.content);
  });
  manager.register_pusher(pusher).get();
  auto logger = sys.spawn(event_logger);
  manager.subscribe_events(logger).get();
  auto node = start_cluster(sys, manager);
  if (!node) {
    std::cerr << "start_cluster: " << render_cluster(node.error()) << '\n';
    caf::anon_send_exit(pusher, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(logger, caf::exit_reason::user_shutdown);
    return 1;
  }
  {
    caf::scoped_actor self{sys};
    self->request(*node, std::chrono::seconds(10), members_atom::value)
      .receive(
        [&](std::vector<member_info>& xs) {
          say("node " + xs.front().node + " listening on " + xs.front().host
              + ":" + std::to_string(xs.front().port) + " (cluster "
              + settings->name + ")");
        },
        [](caf::error&) {});
  }
  for (std::string line; std::getline(std::cin, line);) {
    if (line == "quit")
      break;
    run_command(sys, manager, *node, line);
  }
  stop_cluster(sys, *node);
  caf::anon_send_exit(pusher, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(logger, caf::exit_reason::user_shutdown);
  say("bye");
}

// Quick Start: the online_manager facade from plain (non-actor) code.
//
// Marks a user online, pushes to them, broadcasts, checks presence, adds a
// second device, reads what the in-memory pusher received and kicks the user
// out. Then the session lifecycle: login policies, a per-device kick,
// metadata, the offline buffer, stats and the presence events a subscriber
// saw. Every step prints what happened.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "presence/presence.hpp"

namespace {

// Waits for a pending result; on an error prints it and exits non-zero.
template <class T>
T must(caf::actor_system& sys, const presence::pending<T>& p,
       const char* what) {
  auto result = p.get();
  if (!result) {
    std::cerr << what << " failed: " << sys.render(result.error()) << '\n';
    std::exit(EXIT_FAILURE);
  }
  return std::move(*result);
}

template <class T>
T must(caf::actor_system& sys, caf::expected<T> result, const char* what) {
  if (!result) {
    std::cerr << what << " failed: " << sys.render(result.error()) << '\n';
    std::exit(EXIT_FAILURE);
  }
  return std::move(*result);
}

void print(const char* what, const presence::change_result& r) {
  using presence::change_status;
  std::cout << what << ": " << presence::to_string(r.status);
  switch (r.status) {
    case change_status::subscribed:
    case change_status::unsubscribed:
    case change_status::unknown_pusher:
      break;
    default:
      std::cout << " (sessions now " << r.sessions;
      if (r.removed > 0)
        std::cout << ", removed " << r.removed;
      std::cout << ")";
  }
  std::cout << '\n';
}

void print(const char* what, const presence::delivery_report& r) {
  std::cout << what << ": reached " << r.users_reached << " of "
            << r.users_targeted << " user(s), " << r.sessions_reached
            << " session(s)";
  if (!r.not_online.empty()) {
    std::cout << "; not online:";
    for (auto& id : r.not_online)
      std::cout << ' ' << id;
  }
  if (!r.failed_pushers.empty())
    std::cout << "; " << r.failed_pushers.size() << " pusher(s) failed";
  std::cout << '\n';
}

// Collects presence events as an event subscriber actor receives them.
struct event_log {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::string> lines;

  void add(const presence::presence_events& batch) {
    std::lock_guard<std::mutex> guard{mtx};
    for (auto& e : batch.events)
      lines.push_back(presence::to_string(e.kind) + " " + e.session.login_id
                      + "/" + e.session.token + " (" + e.reason + ")");
    cv.notify_all();
  }

  /// Waits until an event line equal to `line` arrived (or 5 s passed).
  std::vector<std::string> until(const std::string& line) {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait_for(guard, std::chrono::seconds(5), [&] {
      return std::find(lines.begin(), lines.end(), line) != lines.end();
    });
    return lines;
  }
};

presence::event_subscriber_actor::behavior_type
event_printer(std::shared_ptr<event_log> log) {
  return {
    [log](presence::presence_events_atom, presence::presence_events& batch) {
      log->add(batch);
    },
  };
}

void lifecycle_demo(caf::actor_system& sys, presence::online_manager& manager,
                    presence::in_memory_pusher& pusher) {
  std::cout << "\n-- session lifecycle --\n";
  auto log = std::make_shared<event_log>();
  auto subscriber = sys.spawn(event_printer, log);
  print("subscribe_events",
        must(sys, manager.subscribe_events(subscriber), "subscribe_events"));

  // One session per device type: a second iPhone login replaces the first.
  presence::login_policy one_per_device{0, true,
                                        presence::limit_action::replace};
  manager.mark_online(presence::make_online_user("ann", "phone1", "ios"),
                      one_per_device);
  manager.mark_online(presence::make_online_user("ann", "laptop", "web"),
                      one_per_device);
  print("mark_online ann/phone2 (ios, one per device)",
        must(sys,
             manager.mark_online(
               presence::make_online_user("ann", "phone2", "ios"),
               one_per_device),
             "mark_online"));
  // At most two sessions, and reject rather than replace.
  presence::login_policy two_max{2, false, presence::limit_action::reject};
  auto refused = manager
                   .mark_online(presence::make_online_user("ann", "tablet",
                                                           "android"),
                                two_max)
                   .get();
  if (!refused)
    std::cout << "mark_online ann/tablet (at most 2, reject): error "
              << sys.render(refused.error()) << '\n';
  // Kick one device type; the phone stays online.
  print("kick_out_device ann web",
        must(sys, manager.kick_out_device("ann", "web", "Signed out on web"),
             "kick_out_device"));
  print("update_metadata ann/phone2",
        must(sys,
             manager.update_metadata("ann", "phone2", {{"status", "away"}}),
             "update_metadata"));
  for (auto& m : must(sys, pusher.get_messages("ann"), "get_messages"))
    std::cout << "  ann received [" << presence::to_string(m.type) << "] "
              << m.content << '\n';

  // A message for someone offline, kept until they come online.
  auto note = presence::make_text_message("You missed the meeting");
  note.keep_if_offline = true;
  auto kept = must(sys, manager.push_message_to_user("bob", note),
                   "push_message_to_user");
  std::cout << "push to offline bob with keep_if_offline: buffered "
            << kept.buffered << '\n';
  manager.mark_online(presence::make_online_user("bob", "bob-web", "web"));
  manager.mark_offline_all("bob");
  manager.sync();
  for (auto& m : must(sys, pusher.get_messages("bob"), "get_messages"))
    std::cout << "  bob received on login: " << m.content << '\n';

  auto st = must(sys, manager.stats(), "stats");
  std::cout << "stats: " << st.users << " user(s), " << st.sessions
            << " session(s), " << st.pushes << " push(es), "
            << st.deliveries << " deliveries, " << st.kicks << " kick(s), "
            << st.replaced << " replaced, " << st.buffered << " buffered, "
            << st.drops << " dropped\n";

  std::cout << "presence events seen by the subscriber:\n";
  for (auto& line : log->until("offline bob/bob-web (logout)"))
    std::cout << "  " << line << '\n';
  caf::anon_send_exit(subscriber, caf::exit_reason::user_shutdown);
}

} // namespace

int main(int argc, char** argv) {
  // presence::config is a caf::actor_system_config with presence's message
  // types, error category, `presence.*` options and scheduler defaults.
  presence::config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "invalid configuration: " << to_string(err) << '\n';
    return EXIT_FAILURE;
  }
  if (cfg.cli_helptext_printed)
    return EXIT_SUCCESS;
  caf::actor_system sys{cfg};
  {
    // Declared before the manager, so the manager (and its registry) goes
    // first and the pusher second; ~actor_system then waits for both.
    presence::in_memory_pusher pusher{sys};
    presence::online_manager manager{sys};
    if (auto err = manager.status()) {
      std::cerr << "online_manager unusable: " << sys.render(err) << '\n';
      return EXIT_FAILURE;
    }

    // Register the message pusher.
    print("register_pusher",
          must(sys, manager.register_pusher(pusher), "register_pusher"));

    // Mark the user online.
    auto user = presence::make_online_user("user123", "token123", "web");
    print("mark_online user123/web",
          must(sys, manager.mark_online(user), "mark_online"));

    // Push a message to the user and wait for the delivery report.
    auto hello = must(sys, manager.push_to_user("user123", "Hello!"),
                      "push_to_user");
    print("push_to_user \"Hello!\"", hello);

    // Broadcast to all online users: the report has counts only.
    print("broadcast \"System announcement\"",
          must(sys, manager.broadcast("System announcement"), "broadcast"));

    // Check the online status.
    if (must(sys, manager.is_online("user123"), "is_online"))
      std::cout << "User is online\n";
    else
      std::cout << "User is offline\n";

    // A second device of the same user, and a second user.
    print("mark_online user123/ios",
          must(sys,
               manager.mark_online(
                 presence::make_online_user("user123", "token456", "ios")),
               "mark_online"));
    print("mark_online user456/android",
          must(sys,
               manager.mark_online(presence::make_online_user(
                 "user456", "token789", "android", {{"region", "eu"}})),
               "mark_online"));
    // Same (login id, token) again: an upsert, not a third session.
    print("mark_online user123/ios again",
          must(sys,
               manager.mark_online(
                 presence::make_online_user("user123", "token456", "ios")),
               "mark_online"));

    auto sessions = must(sys, manager.get_user_sessions("user123"),
                         "get_user_sessions");
    std::cout << "get_user_sessions user123: " << sessions.size()
              << " session(s)\n";
    for (auto& s : sessions)
      std::cout << "  token " << s.token << " on " << s.device << '\n';
    std::cout << "get_online_count: "
              << must(sys, manager.get_online_count(), "get_online_count")
              << " user(s), get_session_count: "
              << must(sys, manager.get_session_count(), "get_session_count")
              << " session(s)\n";

    // A push now reaches both devices of user123.
    print("push_to_user \"Hello again!\"",
          must(sys, manager.push_to_user("user123", "Hello again!"),
               "push_to_user"));
    // Named users that are offline are listed in the report, not errors.
    print("push_to_users {user123, user456, ghost}",
          must(sys,
               manager.push_to_users({"user123", "user456", "ghost"},
                                     "Meeting in 5 minutes"),
               "push_to_users"));
    print("push_message_to_user (Notification)",
          must(sys,
               manager.push_message_to_user(
                 "user456", presence::make_notification("You have mail")),
               "push_message_to_user"));

    // Unknown sessions are no-ops reported in the result.
    print("mark_offline ghost/none",
          must(sys, manager.mark_offline("ghost", "none"), "mark_offline"));
    print("update_activity user123/token123",
          must(sys, manager.update_activity("user123", "token123"),
               "update_activity"));

    // Invalid input is an error, known at once.
    auto bad = manager.push_to_user("", "to nobody").get();
    if (!bad)
      std::cout << "push_to_user with an empty login id: error "
                << sys.render(bad.error()) << '\n';

    // What the in-memory pusher received for user123 (one entry per push).
    auto messages = must(sys, pusher.get_messages("user123"), "get_messages");
    std::cout << "in_memory_pusher has " << messages.size()
              << " message(s) for user123:\n";
    for (auto& m : messages)
      std::cout << "  [" << presence::to_string(m.type) << "] " << m.content
                << '\n';

    // Kick the user out: KickOut goes to every session, then the user is
    // offline.
    print("kick_out_notify user123",
          must(sys,
               manager.kick_out_notify("user123", "Logged in elsewhere"),
               "kick_out_notify"));
    auto last = must(sys, pusher.get_messages("user123"), "get_messages");
    if (!last.empty())
      std::cout << "  last message for user123: ["
                << presence::to_string(last.back().type) << "] "
                << last.back().content << '\n';
    std::cout << "is_online user123 after the kick: "
              << (must(sys, manager.is_online("user123"), "is_online")
                    ? "true"
                    : "false")
              << '\n';

    print("mark_offline user456/token789",
          must(sys, manager.mark_offline("user456", "token789"),
               "mark_offline"));
    std::cout << "get_online_count: "
              << must(sys, manager.get_online_count(), "get_online_count")
              << '\n';

    lifecycle_demo(sys, manager, pusher);
  }
  std::cout << "done\n";
  return EXIT_SUCCESS;
}

// Embedding presence in actor code: an event-based actor talks to the typed
// registry with request(...).then(...), and a user-written pusher actor prints
// every delivery it receives, once per device.
//
// The program ends by itself: the application actor sends an exit message to
// the registry and the pusher when it is done, and ~actor_system waits for
// every actor.

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/all.hpp>

#include "presence/presence.hpp"

namespace {

// -- a user-written pusher ---------------------------------------------------

// Implements presence::pusher_actor. The registry sends each batch as a
// request; returning from the handler confirms the batch. A real pusher would
// write to WebSocket connections, a message queue or a mobile push service.
presence::pusher_actor::behavior_type
printing_pusher(presence::pusher_actor::pointer self) {
  return {
    [=](presence::deliver_atom, const presence::delivery_batch& batch) {
      for (const auto& d : batch.deliveries) {
        const auto& msg = batch.message_of(d);
        for (const auto& session : batch.sessions_of(d))
          caf::aout(self) << "    pusher: " << d.login_id << " on "
                          << session.device << " (token " << session.token
                          << "): [" << presence::to_string(msg.type) << "] "
                          << msg.content << std::endl;
      }
    },
  };
}

// -- the application actor ---------------------------------------------------

struct app_state {
  presence::registry_actor registry;
  presence::pusher_actor pusher;
};

using app_actor = caf::stateful_actor<app_state>;

constexpr auto timeout = std::chrono::seconds(10);

std::atomic<bool> failed{false};

// Stops the registry (and with it every user actor) and the pusher, then
// this actor.
void finish(app_actor* self) {
  caf::aout(self) << "app: done, stopping the registry and the pusher"
                  << std::endl;
  self->send_exit(self->state.registry, caf::exit_reason::user_shutdown);
  self->send_exit(self->state.pusher, caf::exit_reason::user_shutdown);
  self->quit();
}

auto on_error(app_actor* self, const char* what) {
  return [=](caf::error& err) {
    caf::aout(self) << "app: " << what
                    << " failed: " << self->system().render(err) << std::endl;
    failed = true;
    finish(self);
  };
}

std::string describe(const presence::delivery_report& r) {
  auto result = "reached " + std::to_string(r.users_reached) + " of "
                + std::to_string(r.users_targeted) + " user(s), "
                + std::to_string(r.sessions_reached) + " session(s)";
  if (!r.not_online.empty()) {
    result += "; not online:";
    for (const auto& id : r.not_online)
      result += " " + id;
  }
  if (!r.failed_pushers.empty())
    result += "; " + std::to_string(r.failed_pushers.size())
              + " pusher(s) failed";
  return result;
}

void kick_bob(app_actor* self);

void broadcast(app_actor* self) {
  auto msg = presence::make_text_message("Maintenance at 22:00");
  self
    ->request(self->state.registry, timeout, presence::broadcast_atom::value,
              msg)
    .then(
      [=](const presence::delivery_report& r) {
        caf::aout(self) << "app: broadcast: " << describe(r) << std::endl;
        kick_bob(self);
      },
      on_error(self, "broadcast"));
}

void kick_bob(app_actor* self) {
  self
    ->request(self->state.registry, timeout, presence::kick_atom::value,
              std::string{"bob"}, std::string{"Session expired"})
    .then(
      [=](const presence::delivery_report& r) {
        caf::aout(self) << "app: kick bob: " << describe(r) << std::endl;
        self
          ->request(self->state.registry, timeout,
                    presence::is_online_atom::value, std::string{"bob"})
          .then(
            [=](bool online) {
              caf::aout(self) << "app: bob is " << (online ? "online" : "offline")
                              << std::endl;
              if (online)
                failed = true;
              finish(self);
            },
            on_error(self, "is_online"));
      },
      on_error(self, "kick"));
}

void push_to_several(app_actor* self) {
  std::vector<std::string> ids{"alice", "bob", "carol"};
  self
    ->request(self->state.registry, timeout, presence::push_atom::value, ids,
              presence::make_notification("Standup in 5 minutes"))
    .then(
      [=](const presence::delivery_report& r) {
        caf::aout(self) << "app: push to alice, bob, carol: " << describe(r)
                        << std::endl;
        broadcast(self);
      },
      on_error(self, "push to several users"));
}

void push_to_alice(app_actor* self) {
  self
    ->request(self->state.registry, timeout, presence::push_atom::value,
              std::string{"alice"},
              presence::make_text_message("Hello, Alice!"))
    .then(
      [=](const presence::delivery_report& r) {
        caf::aout(self) << "app: push to alice: " << describe(r) << std::endl;
        push_to_several(self);
      },
      on_error(self, "push"));
}

void check_alice(app_actor* self) {
  self
    ->request(self->state.registry, timeout, presence::is_online_atom::value,
              std::string{"alice"})
    .then(
      [=](bool online) {
        caf::aout(self) << "app: alice is " << (online ? "online" : "offline")
                        << std::endl;
        self
          ->request(self->state.registry, timeout,
                    presence::user_sessions_atom::value, std::string{"alice"})
          .then(
            [=](const std::vector<presence::online_user>& sessions) {
              caf::aout(self) << "app: alice has " << sessions.size()
                              << " session(s)" << std::endl;
              push_to_alice(self);
            },
            on_error(self, "user_sessions"));
      },
      on_error(self, "is_online"));
}

// Marks the sessions online one after the other, then goes on.
void mark_online(app_actor* self, std::vector<presence::online_user> sessions,
                 size_t i) {
  if (i == sessions.size()) {
    check_alice(self);
    return;
  }
  auto session = sessions[i];
  self
    ->request(self->state.registry, timeout,
              presence::mark_online_atom::value, session)
    .then(
      [=](const presence::change_result& r) {
        caf::aout(self) << "app: mark_online " << session.login_id << "/"
                        << session.device << ": "
                        << presence::to_string(r.status) << ", " << r.sessions
                        << " session(s)" << std::endl;
        mark_online(self, sessions, i + 1);
      },
      on_error(self, "mark_online"));
}

caf::behavior app(app_actor* self, presence::registry_actor registry,
                  presence::pusher_actor pusher) {
  self->state.registry = std::move(registry);
  self->state.pusher = std::move(pusher);
  self
    ->request(self->state.registry, timeout, presence::subscribe_atom::value,
              self->state.pusher)
    .then(
      [=](const presence::change_result& r) {
        caf::aout(self) << "app: subscribe pusher: "
                        << presence::to_string(r.status) << std::endl;
        mark_online(self,
                    {presence::make_online_user("alice", "a-1", "web"),
                     presence::make_online_user("alice", "a-2", "ios"),
                     presence::make_online_user("bob", "b-1", "android")},
                    0);
      },
      on_error(self, "subscribe"));
  // No handlers of its own: the actor lives on its pending requests.
  return {};
}

} // namespace

int main(int argc, char** argv) {
  presence::config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "invalid configuration: " << to_string(err) << '\n';
    return EXIT_FAILURE;
  }
  if (cfg.cli_helptext_printed)
    return EXIT_SUCCESS;
  {
    caf::actor_system sys{cfg};
    auto registry = presence::spawn_registry(sys);
    if (!registry) {
      std::cerr << "spawn_registry failed: " << sys.render(registry.error())
                << '\n';
      return EXIT_FAILURE;
    }
    auto pusher = sys.spawn(printing_pusher);
    sys.spawn(app, *registry, pusher);
    // ~actor_system waits until the app actor, the registry and the pusher
    // have quit.
  }
  std::cout << (failed ? "failed" : "done") << '\n';
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

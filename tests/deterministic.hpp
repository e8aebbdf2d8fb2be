#pragma once

// A registry on CAF's deterministic test coordinator: nothing runs until the
// test says so, and time moves only by advance(). The lifecycle tests (idle
// expiry, policies, kicks, events, metadata, the offline buffer, stats) use
// it to prove timer behaviour without waiting out a wall-clock window.

#include <memory>
#include <vector>

#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>

#include "test_util.hpp"
#include "spawn_fn.hpp"

namespace test {

using lines = std::vector<std::string>;

/// Sets the idle timeout (before the system starts).
inline config_tweak idle(caf::timespan t) {
  return [t](caf::actor_system_config& cfg) {
    cfg.set("presence.idle-timeout", t);
  };
}

/// What a recording pusher and a recording event subscriber saw.
struct recorder {
  /// (login id, token, message) per session delivery, in arrival order.
  struct delivered {
    std::string login_id;
    std::string token;
    presence::push_message message;
  };
  std::vector<delivered> deliveries;
  std::vector<presence::presence_events> event_batches;

  std::vector<presence::presence_event> events() const {
    std::vector<presence::presence_event> result;
    for (auto& b : event_batches)
      result.insert(result.end(), b.events.begin(), b.events.end());
    return result;
  }

  /// "kind login_id token reason" per event, for comparing whole scripts.
  std::vector<std::string> event_lines() const {
    std::vector<std::string> result;
    for (auto& e : events())
      result.push_back(presence::to_string(e.kind) + " " + e.session.login_id
                       + " " + e.session.token + " " + e.reason);
    return result;
  }

  /// Deliveries to `token` as "type:content".
  std::vector<std::string> to_token(const std::string& token) const {
    std::vector<std::string> result;
    for (auto& d : deliveries)
      if (d.token == token)
        result.push_back(to_string(d.message.type) + ":" + d.message.content);
    return result;
  }
};

struct deterministic {
  presence::config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  caf::scoped_actor self;
  presence::registry_actor registry;
  std::shared_ptr<recorder> rec = std::make_shared<recorder>();
  presence::pusher_actor pusher;
  presence::event_subscriber_actor subscriber;

  explicit deterministic(const config_tweak& f = nullptr)
    : sys(tweaked(testing(cfg), f)),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())),
      self(sys) {
    registry = ok(presence::spawn_registry(sys));
    auto r = rec;
    pusher = test::spawn_fn(sys, [r](presence::pusher_actor::pointer)
                                   -> presence::pusher_actor::behavior_type {
      return {
        [r](presence::deliver_atom, presence::delivery_batch& b) {
          for (auto& d : b.deliveries)
            for (uint32_t i = 0; i < d.session_count; ++i) {
              auto& s = b.sessions[d.first_session + i];
              r->deliveries.push_back(
                recorder::delivered{d.login_id, s.token,
                                    b.messages[d.message]});
            }
        },
      };
    });
    subscriber = test::spawn_fn(sys,
      [r](presence::event_subscriber_actor::pointer)
        -> presence::event_subscriber_actor::behavior_type {
        return {
          [r](presence::presence_events_atom, presence::presence_events& x) {
            r->event_batches.push_back(std::move(x));
          },
        };
      });
    REQUIRE(call<presence::change_result>(presence::subscribe_atom::value,
                                          pusher)
              .status
            == presence::change_status::subscribed);
  }

  ~deterministic() {
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(pusher, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(subscriber, caf::exit_reason::user_shutdown);
    sched.run();
  }

  static caf::actor_system_config& testing(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    return cfg;
  }

  /// Sends a request to the registry, runs everything, returns the answer.
  template <class T, class... Ts>
  caf::expected<T> ask(Ts&&... xs) {
    auto handle = self->request(registry, caf::infinite,
                                std::forward<Ts>(xs)...);
    sched.run();
    caf::expected<T> result = caf::make_error(caf::sec::request_timeout);
    handle.receive([&](T& x) { result = std::move(x); },
                   [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  template <class T, class... Ts>
  T call(Ts&&... xs) {
    return ok(ask<T>(std::forward<Ts>(xs)...));
  }

  /// Queues one facade-style call batch at the registry, answered to `self`
  /// (nothing runs yet).
  void send_batch(std::vector<presence::detail::client_op> ops) {
    presence::detail::client_batch batch;
    batch.reply_to = caf::actor_cast<caf::actor>(self);
    batch.ops = std::move(ops);
    // Internal: the public handle does not list batch_atom.
    self->send(caf::actor_cast<presence::detail::registry_internal_actor>(
                 registry),
               presence::detail::batch_atom::value, std::move(batch));
  }

  /// A call of `kind` on session (`login_id`, `token`).
  static presence::detail::client_op call_of(presence::detail::op_kind kind,
                                             const std::string& login_id,
                                             const std::string& token) {
    presence::detail::client_op op;
    op.kind = kind;
    op.user = user(login_id, token);
    return op;
  }

  /// Moves simulated time forward and runs whatever that triggers.
  void advance(caf::timespan d) {
    sched.advance_time(d);
    sched.run();
  }

  void subscribe_events() {
    REQUIRE(call<presence::change_result>(
              presence::subscribe_events_atom::value, subscriber)
              .status
            == presence::change_status::subscribed);
  }

  presence::change_result online(const std::string& login_id,
                                 const std::string& token,
                                 const std::string& device = "web") {
    return call<presence::change_result>(presence::mark_online_atom::value,
                                         user(login_id, token, device));
  }

  bool is_online(const std::string& login_id) {
    return call<bool>(presence::is_online_atom::value, login_id);
  }

  std::vector<std::string> tokens(const std::string& login_id) {
    return sorted(tokens_of(call<std::vector<presence::online_user>>(
      presence::user_sessions_atom::value, login_id)));
  }

  presence::presence_stats stats() {
    return call<presence::presence_stats>(presence::stats_atom::value);
  }
};

} // namespace test

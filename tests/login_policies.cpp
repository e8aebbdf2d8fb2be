// Login policies: at most n sessions, one per device type, replace or reject,
// the configured default and invalid policies.

#include "deterministic.hpp"

// A namespace per test file: the tests build in unity batches.
namespace login_policies_tests {

using namespace presence;
using namespace test;
using namespace std::chrono_literals;

TEST_CASE("max sessions with replace kicks the oldest session as replaced") {
  deterministic t;
  t.subscribe_events();
  login_policy p{2, false, limit_action::replace};
  for (auto tok : {"s1", "s2", "s3"})
    t.call<change_result>(mark_online_atom::value, user("bob", tok), p);
  CHECK(t.tokens("bob") == lines{"s2", "s3"});
  CHECK(t.rec->to_token("s1") == lines{"KickOut:replaced"});
  CHECK(t.rec->to_token("s2").empty());
  CHECK(t.rec->to_token("s3").empty());
  CHECK(t.stats().replaced == 1);
  CHECK(t.rec->event_lines()
        == lines{"online bob s1 login", "joined bob s1 login",
                 "joined bob s2 login", "replaced bob s1 replaced",
                 "joined bob s3 login"});
}

TEST_CASE("max sessions with reject refuses the new session") {
  deterministic t;
  login_policy p{1, false, limit_action::reject};
  t.call<change_result>(mark_online_atom::value, user("bob", "s1"), p);
  auto r = t.ask<change_result>(mark_online_atom::value, user("bob", "s2"), p);
  CHECK_PRESENCE_ERROR(err_of(r), too_many_sessions);
  CHECK(t.tokens("bob") == lines{"s1"});
  CHECK(t.rec->deliveries.empty());
  // The same session logging in again is not a new session.
  CHECK(t.call<change_result>(mark_online_atom::value, user("bob", "s1"), p)
          .status
        == change_status::reconnected);
}

TEST_CASE("one session per device replaces the older one of that device") {
  deterministic t;
  login_policy p{0, true, limit_action::replace};
  t.call<change_result>(mark_online_atom::value, user("eve", "i1", "ios"), p);
  t.call<change_result>(mark_online_atom::value, user("eve", "w1", "web"), p);
  auto r = t.call<change_result>(mark_online_atom::value,
                                 user("eve", "i2", "ios"), p);
  CHECK(r.status == change_status::joined);
  CHECK(r.removed == 1);
  CHECK(t.tokens("eve") == lines{"i2", "w1"});
  CHECK(t.rec->to_token("i1") == lines{"KickOut:replaced"});
  CHECK(t.rec->to_token("w1").empty());
}

TEST_CASE("one session per device with reject answers device_taken") {
  deterministic t;
  login_policy p{0, true, limit_action::reject};
  t.call<change_result>(mark_online_atom::value, user("eve", "i1", "ios"), p);
  auto r = t.ask<change_result>(mark_online_atom::value,
                                user("eve", "i2", "ios"), p);
  CHECK_PRESENCE_ERROR(err_of(r), device_taken);
  CHECK(t.tokens("eve") == lines{"i1"});
}

TEST_CASE("the configured policy applies to calls that bring none") {
  deterministic t{[](caf::actor_system_config& cfg) {
    cfg.set("presence.max-sessions", 2);
    cfg.set("presence.on-session-limit", "reject");
  }};
  t.online("bob", "s1");
  t.online("bob", "s2");
  auto r = t.ask<change_result>(mark_online_atom::value, user("bob", "s3"));
  CHECK_PRESENCE_ERROR(err_of(r), too_many_sessions);
  CHECK(t.tokens("bob") == lines{"s1", "s2"});
}

TEST_CASE("invalid policies are rejected and change nothing") {
  deterministic t;
  t.online("bob", "s1");
  for (auto p : {login_policy{-1, false, limit_action::replace},
                 login_policy{max_sessions_limit + 1, false,
                              limit_action::replace},
                 login_policy{2, false, static_cast<limit_action>(7)}}) {
    auto r = t.ask<change_result>(mark_online_atom::value, user("bob", "s2"),
                                  p);
    CHECK_PRESENCE_ERROR(err_of(r), invalid_policy);
  }
  CHECK(t.tokens("bob") == lines{"s1"});
  CHECK_PRESENCE_ERROR(err_of(parse_limit_action("evict")), invalid_policy);
}

TEST_CASE("a replace-everything policy never shows the user offline") {
  deterministic t;
  t.subscribe_events();
  login_policy one{1, false, limit_action::replace};
  for (int i = 0; i < 5; ++i)
    t.call<change_result>(mark_online_atom::value,
                          user("solo", "s" + std::to_string(i)), one);
  CHECK(t.tokens("solo") == lines{"s4"});
  auto ev = t.rec->event_lines();
  CHECK(std::count_if(ev.begin(), ev.end(), [](const std::string& x) {
          return x.rfind("online", 0) == 0 || x.rfind("offline", 0) == 0;
        })
        == 1);
  CHECK(t.stats().replaced == 4);
}

} // namespace login_policies_tests

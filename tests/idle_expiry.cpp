// Idle expiry on the deterministic test coordinator: the registry's wheel asks
// the user actor, which expires what is due. Time moves only by advance().

#include "deterministic.hpp"

// A namespace per test file: the tests build in unity batches.
namespace idle_expiry_tests {

using namespace presence;
using namespace test;
using namespace std::chrono_literals;

TEST_CASE("an idle session expires and its user goes offline with events") {
  deterministic t{idle(60s)};
  t.subscribe_events();
  t.online("alice", "a1");
  t.advance(59s);
  CHECK(t.is_online("alice"));
  // Expiry runs on a wheel with slots of timeout/64: at most ~0.94 s late.
  t.advance(2s);
  CHECK_FALSE(t.is_online("alice"));
  CHECK(t.stats().expiries == 1);
  CHECK(t.rec->event_lines()
        == lines{"online alice a1 login", "joined alice a1 login",
                 "expired alice a1 idle", "offline alice a1 idle"});
}

TEST_CASE("activity keeps a session alive, only the silent one expires") {
  deterministic t{idle(60s)};
  t.online("alice", "phone", "ios");
  t.online("alice", "laptop", "web");
  for (int i = 0; i < 5; ++i) {
    t.advance(40s);
    CHECK(t.call<change_result>(update_activity_atom::value,
                                std::string{"alice"}, std::string{"laptop"})
            .status
          == change_status::refreshed);
  }
  // 200 s later the laptop, refreshed every 40 s, is online; the phone,
  // silent since the start, expired at 60 s.
  CHECK(t.tokens("alice") == lines{"laptop"});
  CHECK(t.is_online("alice"));
  t.advance(59s);
  CHECK(t.tokens("alice") == lines{"laptop"});
  t.advance(2s);
  CHECK_FALSE(t.is_online("alice"));
  CHECK(t.stats().expiries == 2);
}

TEST_CASE("without an idle timeout sessions never expire") {
  deterministic t;
  t.online("alice", "a1");
  t.advance(std::chrono::hours(24 * 365));
  CHECK(t.is_online("alice"));
  CHECK(t.stats().expiries == 0);
}

TEST_CASE("an expiry racing a login for the same user keeps both in order") {
  deterministic t{idle(60s)};
  t.subscribe_events();
  t.online("alice", "a1");
  // The idle wheel's tick lands in the registry's mailbox, but nothing runs
  // yet; the login queues behind it. The registry asks the actor to check,
  // then forwards the login: the actor expires a1, then adds a2.
  t.sched.advance_time(61s);
  auto r = t.call<change_result>(mark_online_atom::value,
                                 user("alice", "a2"));
  CHECK(r.status == change_status::joined);
  CHECK(r.sessions == 1);
  CHECK(t.tokens("alice") == lines{"a2"});
  CHECK(t.call<uint64_t>(online_count_atom::value) == 1);
  CHECK(t.rec->event_lines()
        == lines{"online alice a1 login", "joined alice a1 login",
                 "expired alice a1 idle", "offline alice a1 idle",
                 "online alice a2 login", "joined alice a2 login"});
}

TEST_CASE("a logout racing an idle check wins without an expiry") {
  deterministic t{idle(60s)};
  t.subscribe_events();
  t.online("alice", "a1");
  // The wheel's tick is queued in the registry, the logout behind it: the
  // registry asks the actor to check, then logs a1 out at once. The actor's
  // expiry report arrives for a user that is gone and changes nothing.
  t.sched.advance_time(61s);
  auto r = t.call<change_result>(mark_offline_atom::value,
                                 std::string{"alice"}, std::string{"a1"});
  CHECK(r.status == change_status::user_offline);
  t.sched.run();
  CHECK_FALSE(t.is_online("alice"));
  CHECK(t.stats().expiries == 0);
  CHECK(t.rec->event_lines()
        == lines{"online alice a1 login", "joined alice a1 login",
                 "left alice a1 logout", "offline alice a1 logout"});
  // The user can come back and expire normally later.
  t.online("alice", "a2");
  t.advance(62s);
  CHECK_FALSE(t.is_online("alice"));
  CHECK(t.stats().expiries == 1);
}

} // namespace idle_expiry_tests

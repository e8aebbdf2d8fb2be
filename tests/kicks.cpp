// Kicks by user, session and device, with KickOut delivery and events.

#include "deterministic.hpp"

// A namespace per test file: the tests build in unity batches.
namespace kicks_tests {

using namespace presence;
using namespace test;
using namespace std::chrono_literals;

TEST_CASE("kick_out_device kicks that device only, others stay online") {
  deterministic t;
  t.subscribe_events();
  t.online("carl", "i1", "ios");
  t.online("carl", "i2", "ios");
  t.online("carl", "w1", "web");
  auto rep = t.call<delivery_report>(kick_device_atom::value,
                                     std::string{"carl"}, std::string{"ios"},
                                     std::string{"security"});
  CHECK(rep.sessions_reached == 2);
  CHECK(t.tokens("carl") == lines{"w1"});
  CHECK(t.rec->to_token("i1") == lines{"KickOut:security"});
  CHECK(t.rec->to_token("i2") == lines{"KickOut:security"});
  CHECK(t.rec->to_token("w1").empty());
  CHECK(t.is_online("carl"));
  CHECK(t.stats().kicks == 2);
  auto ev = t.rec->event_lines();
  CHECK(std::count(ev.begin(), ev.end(), "kicked carl i1 security") == 1);
  CHECK(std::count(ev.begin(), ev.end(), "kicked carl i2 security") == 1);
  CHECK(std::none_of(ev.begin(), ev.end(), [](const std::string& x) {
    return x.rfind("offline", 0) == 0;
  }));
}

TEST_CASE("kick_out_session kicks one session, the last one takes the user "
          "offline") {
  deterministic t;
  t.online("carl", "a", "ios");
  t.online("carl", "b", "ios");
  auto rep = t.call<delivery_report>(kick_session_atom::value,
                                     std::string{"carl"}, std::string{"a"},
                                     std::string{"bye"});
  CHECK(rep.sessions_reached == 1);
  CHECK(t.rec->to_token("a") == lines{"KickOut:bye"});
  CHECK(t.rec->to_token("b").empty());
  CHECK(t.tokens("carl") == lines{"b"});
  t.call<delivery_report>(kick_session_atom::value, std::string{"carl"},
                          std::string{"b"}, std::string{"bye"});
  CHECK_FALSE(t.is_online("carl"));
}

TEST_CASE("kicks on unknown users, sessions and devices are reported no-ops") {
  deterministic t;
  t.online("carl", "a", "ios");
  auto r1 = t.call<delivery_report>(kick_session_atom::value,
                                    std::string{"nobody"}, std::string{"a"},
                                    std::string{"x"});
  CHECK(r1.not_online == lines{"nobody"});
  auto r2 = t.call<delivery_report>(kick_session_atom::value,
                                    std::string{"carl"}, std::string{"zzz"},
                                    std::string{"x"});
  CHECK(r2.sessions_reached == 0);
  auto r3 = t.call<delivery_report>(kick_device_atom::value,
                                    std::string{"carl"},
                                    std::string{"android"}, std::string{"x"});
  CHECK(r3.sessions_reached == 0);
  CHECK(t.tokens("carl") == lines{"a"});
  CHECK(t.rec->deliveries.empty());
  CHECK_PRESENCE_ERROR(err_of(t.ask<delivery_report>(
                         kick_device_atom::value, std::string{"carl"},
                         std::string{}, std::string{"x"})),
                       empty_device);
  CHECK_PRESENCE_ERROR(err_of(t.ask<delivery_report>(
                         kick_session_atom::value, std::string{"carl"},
                         std::string{}, std::string{"x"})),
                       empty_token);
}

} // namespace kicks_tests

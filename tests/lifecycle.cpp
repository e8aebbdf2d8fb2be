// Session lifecycle on the deterministic test coordinator: idle expiry, login
// policies, per-session and per-device kicks, presence events, metadata, the
// offline buffer and stats. Time moves only by advance().

#include "lifecycle_util.hpp"

using namespace presence;
using namespace test;
using namespace std::chrono_literals;

namespace {

config_tweak idle(caf::timespan t) {
  return [t](caf::actor_system_config& cfg) {
    cfg.set("presence.idle-timeout", t);
  };
}

using lines = std::vector<std::string>;

} // namespace

// -- idle expiry ----------------------------------------------------------------

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

// -- login policies -------------------------------------------------------------

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
        == change_status::replaced);
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

// -- kicks ----------------------------------------------------------------------

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

// -- events -----------------------------------------------------------------------

TEST_CASE("a subscriber sees exactly the events of a scripted sequence") {
  deterministic t{idle(60s)};
  t.subscribe_events();
  t.online("ann", "p", "ios");
  t.online("ann", "w", "web");
  t.online("ann", "w", "web"); // same token again
  t.call<change_result>(update_metadata_atom::value, std::string{"ann"},
                        std::string{"p"}, metadata_map{{"status", "busy"}});
  t.call<change_result>(mark_offline_atom::value, std::string{"ann"},
                        std::string{"w"});
  t.online("ben", "b1");
  t.call<delivery_report>(kick_atom::value, std::string{"ben"},
                          std::string{"spam"});
  t.advance(61s);
  CHECK(t.rec->event_lines()
        == lines{"online ann p login",     "joined ann p login",
                 "joined ann w login",     "updated ann w reconnect",
                 "updated ann p metadata", "left ann w logout",
                 "online ben b1 login",    "joined ben b1 login",
                 "kicked ben b1 spam",     "offline ben b1 spam",
                 "expired ann p idle",     "offline ann p idle"});
  auto ev = t.rec->events();
  CHECK(ev[4].session.metadata == metadata_map{{"status", "busy"}});
  // Batches continue one sequence.
  uint64_t next = 0;
  for (auto& b : t.rec->event_batches) {
    CHECK(b.first_seq == next);
    next += b.events.size();
  }
}

TEST_CASE("events under churn arrive batched and in order per user") {
  deterministic t;
  t.subscribe_events();
  // One client batch of 300 calls: the registry runs them back to back, so
  // the subscriber gets their events in far fewer messages than changes.
  std::vector<detail::client_op> ops;
  for (int i = 0; i < 100; ++i) {
    auto id = "u" + std::to_string(i);
    ops.push_back(t.call_of(detail::op_kind::mark_online, id, "t"));
    ops.push_back(t.call_of(detail::op_kind::mark_offline, id, "t"));
    ops.push_back(t.call_of(detail::op_kind::mark_online, id, "t2"));
  }
  t.send_batch(std::move(ops));
  t.sched.run();
  auto ev = t.rec->events();
  REQUIRE(ev.size() == 100 * 6);
  CHECK(t.rec->event_batches.size() <= 2);
  for (int i = 0; i < 100; ++i) {
    auto id = "u" + std::to_string(i);
    lines mine;
    for (auto& e : ev)
      if (e.session.login_id == id)
        mine.push_back(to_string(e.kind) + " " + e.session.token);
    CHECK(mine
          == lines{"online t", "joined t", "left t", "offline t", "online t2",
                   "joined t2"});
  }
}

TEST_CASE("unsubscribed and dead subscribers get no more events") {
  deterministic t;
  t.subscribe_events();
  t.online("a", "1");
  auto n = t.rec->events().size();
  CHECK(t.call<change_result>(unsubscribe_events_atom::value, t.subscriber)
          .status
        == change_status::unsubscribed);
  CHECK(t.call<change_result>(unsubscribe_events_atom::value, t.subscriber)
          .status
        == change_status::unknown_subscriber);
  t.online("b", "1");
  CHECK(t.rec->events().size() == n);
  // A subscriber that dies is dropped: the registry keeps working.
  t.subscribe_events();
  caf::anon_send_exit(t.subscriber, caf::exit_reason::kill);
  t.sched.run();
  t.online("c", "1");
  CHECK(t.is_online("c"));
  CHECK(t.rec->events().size() == n);
  auto r = t.ask<change_result>(subscribe_events_atom::value,
                                event_subscriber_actor{});
  CHECK_PRESENCE_ERROR(err_of(r), invalid_subscriber);
}

// -- metadata ---------------------------------------------------------------------

TEST_CASE("update_metadata replaces a session's metadata") {
  deterministic t;
  t.online("ann", "p");
  auto r = t.call<change_result>(update_metadata_atom::value,
                                 std::string{"ann"}, std::string{"p"},
                                 metadata_map{{"room", "42"}});
  CHECK(r.status == change_status::updated);
  auto s = t.call<std::vector<online_user>>(user_sessions_atom::value,
                                            std::string{"ann"});
  REQUIRE(s.size() == 1);
  CHECK(s[0].metadata == metadata_map{{"room", "42"}});
  CHECK(t.call<change_result>(update_metadata_atom::value, std::string{"ann"},
                              std::string{"zz"}, metadata_map{})
          .status
        == change_status::unknown_token);
  CHECK(t.call<change_result>(update_metadata_atom::value, std::string{"no"},
                              std::string{"p"}, metadata_map{})
          .status
        == change_status::unknown_user);
}

// -- offline buffer ---------------------------------------------------------------

namespace {

push_message kept(std::string content) {
  auto m = make_text_message(std::move(content));
  m.keep_if_offline = true;
  return m;
}

} // namespace

TEST_CASE("buffered messages arrive in order when the user comes online") {
  deterministic t;
  for (auto c : {"m1", "m2", "m3"}) {
    auto rep = t.call<delivery_report>(push_atom::value, std::string{"dan"},
                                       kept(c));
    CHECK(rep.buffered == 1);
    CHECK(rep.not_online == lines{"dan"});
  }
  // Not kept unless asked.
  t.call<delivery_report>(push_atom::value, std::string{"dan"},
                          make_text_message("lost"));
  CHECK(t.stats().buffer_size == 3);
  t.online("dan", "d1");
  CHECK(t.rec->to_token("d1") == lines{"Text:m1", "Text:m2", "Text:m3"});
  CHECK(t.stats().buffer_size == 0);
  // Delivered once: a second login finds the buffer empty.
  t.call<change_result>(mark_offline_atom::value, std::string{"dan"},
                        std::string{"d1"});
  t.online("dan", "d2");
  CHECK(t.rec->to_token("d2").empty());
}

TEST_CASE("buffered messages expire after the ttl and are counted") {
  deterministic t{[](caf::actor_system_config& cfg) {
    cfg.set("presence.offline-buffer-ttl", caf::timespan{30s});
  }};
  t.call<delivery_report>(push_atom::value, std::string{"dan"}, kept("old"));
  t.advance(20s);
  t.call<delivery_report>(push_atom::value, std::string{"dan"}, kept("new"));
  t.advance(10s);
  CHECK(t.stats().drops == 1);
  CHECK(t.stats().buffer_size == 1);
  t.online("dan", "d1");
  CHECK(t.rec->to_token("d1") == lines{"Text:new"});
}

TEST_CASE("the per-user buffer keeps the newest messages and counts drops") {
  deterministic t{[](caf::actor_system_config& cfg) {
    cfg.set("presence.offline-buffer-size", 2);
  }};
  uint64_t dropped = 0;
  for (auto c : {"a", "b", "c", "d"})
    dropped += t.call<delivery_report>(push_atom::value, std::string{"dan"},
                                       kept(c))
                 .dropped;
  CHECK(dropped == 2);
  CHECK(t.stats().drops == 2);
  t.online("dan", "d1");
  CHECK(t.rec->to_token("d1") == lines{"Text:c", "Text:d"});
}

TEST_CASE("multi-user pushes buffer for the offline users only") {
  deterministic t;
  t.online("on", "o1");
  auto rep = t.call<delivery_report>(push_atom::value, lines{"on", "off"},
                                     kept("hi"));
  CHECK(rep.users_reached == 1);
  CHECK(rep.buffered == 1);
  t.online("off", "f1");
  CHECK(t.rec->to_token("f1") == lines{"Text:hi"});
  CHECK(t.rec->to_token("o1") == lines{"Text:hi"});
}

// -- stats --------------------------------------------------------------------------

TEST_CASE("stats count users, sessions, pushes and deliveries") {
  deterministic t;
  t.online("a", "1");
  t.online("a", "2");
  t.online("b", "1");
  t.call<delivery_report>(broadcast_atom::value, make_text_message("x"));
  auto s = t.stats();
  CHECK(s.users == 2);
  CHECK(s.sessions == 3);
  CHECK(s.pushes == 1);
  CHECK(s.deliveries == 3);
}

// -- races and corner cases -------------------------------------------------------

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

TEST_CASE("buffered messages wait for the first pusher when none is "
          "subscribed") {
  deterministic t;
  t.call<change_result>(unsubscribe_atom::value, t.pusher);
  t.call<delivery_report>(push_atom::value, std::string{"dan"}, kept("m1"));
  t.online("dan", "d1");
  CHECK(t.stats().buffer_size == 1);
  t.call<change_result>(subscribe_atom::value, t.pusher);
  CHECK(t.rec->to_token("d1") == lines{"Text:m1"});
  CHECK(t.stats().buffer_size == 0);
}

TEST_CASE("an operation kind that is not one is answered with an error") {
  deterministic t;
  detail::client_op op;
  op.ticket = 7;
  op.kind = static_cast<detail::op_kind>(200);
  t.send_batch({op});
  t.sched.run();
  bool answered = false;
  t.self->receive(
    [&](detail::results_atom, detail::client_results& r) {
      REQUIRE(r.results.size() == 1);
      CHECK(r.results[0].ticket == 7);
      CHECK_PRESENCE_ERROR(r.results[0].err, malformed_message);
      answered = true;
    },
    caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK(answered);
}

TEST_CASE("events wait for the registry to be idle for at most 10 ms") {
  // One message per resume, so the test can run the registry message by
  // message and look at the subscriber in between.
  deterministic t{[](caf::actor_system_config& cfg) {
    cfg.set("scheduler.max-throughput", 1);
  }};
  t.subscribe_events();
  auto login = [&](const std::string& id) {
    t.send_batch({t.call_of(detail::op_kind::mark_online, id, "t")});
  };
  // Two logins queued back to back: the first one's events wait behind the
  // second login (the flush message is queued after it) ...
  login("a");
  login("b");
  t.sched.run_once(); // the registry handles a's login
  t.sched.run_once(); // ... and b's: still within 10 ms, no batch yet
  while (t.sched.try_run_once()) {
    if (t.rec->event_batches.size() == 1) {
      // ... and go out together once the registry has run dry.
      CHECK(t.rec->events().size() == 4);
      break;
    }
  }
  CHECK(t.rec->event_batches.size() == 1);
  // With 11 ms between two queued logins, the first batch goes out while
  // work is still queued: before the registry handles its flush message.
  login("c");
  login("d");
  t.sched.run_once(); // c
  t.sched.advance_time(std::chrono::milliseconds(11));
  t.sched.run_once(); // d: 11 ms since the last batch, flush now
  CHECK(t.rec->event_batches.size() == 1); // the subscriber has not run yet
  // Run the subscriber now, while the registry's flush message is still
  // queued: the batch is already there.
  REQUIRE(t.sched.prioritize(t.subscriber));
  t.sched.run_once();
  CHECK(t.rec->event_batches.size() == 2);
  CHECK(t.rec->event_batches.back().events.size() == 4);
  t.sched.run();
  CHECK(t.rec->events().size() == 8);
}

// The lifecycle operations through the facade, on the real scheduler, and
// their options and bad input.

#include "test_util.hpp"
#include "spawn_fn.hpp"

// A namespace per test file: the tests build in unity batches.
namespace lifecycle_facade_tests {

using namespace presence;
using namespace test;

namespace {

using lines = std::vector<std::string>;

std::vector<std::string> types_and_contents(std::vector<push_message> xs) {
  std::vector<std::string> result;
  for (auto& x : xs)
    result.push_back(to_string(x.type) + ":" + x.content);
  return result;
}

} // namespace

TEST_CASE("facade: login policies replace or reject", "[lifecycle]") {
  env e;
  in_memory_pusher imp{e.sys};
  online_manager m{e.sys};
  ok(m.register_pusher(imp));
  login_policy one{1, false, limit_action::replace};
  ok(m.mark_online(user("ann", "old"), one));
  auto r = ok(m.mark_online(user("ann", "new"), one));
  CHECK(r.status == change_status::joined);
  CHECK(r.removed == 1);
  CHECK(tokens_of(ok(m.get_user_sessions("ann"))) == lines{"new"});
  CHECK(wait_until([&] { return ok(imp.get_messages("ann")).size() == 1; }));
  CHECK(types_and_contents(ok(imp.get_messages("ann")))
        == lines{"KickOut:replaced"});
  login_policy strict{1, false, limit_action::reject};
  CHECK_PRESENCE_ERROR(err_of(m.mark_online(user("ann", "third"), strict)),
                       too_many_sessions);
  CHECK(tokens_of(ok(m.get_user_sessions("ann"))) == lines{"new"});
}

TEST_CASE("facade: per-device and per-session kicks", "[lifecycle]") {
  env e;
  in_memory_pusher imp{e.sys};
  online_manager m{e.sys};
  ok(m.register_pusher(imp));
  m.mark_online(user("bo", "i", "ios"));
  m.mark_online(user("bo", "w", "web"));
  m.mark_online(user("bo", "a", "android"));
  auto rep = ok(m.kick_out_device("bo", "ios", "lost phone"));
  CHECK(rep.sessions_reached == 1);
  CHECK(tokens_of(ok(m.get_user_sessions("bo"))) == lines{"a", "w"});
  rep = ok(m.kick_out_session("bo", "w", "admin"));
  CHECK(rep.sessions_reached == 1);
  CHECK(tokens_of(ok(m.get_user_sessions("bo"))) == lines{"a"});
  CHECK(ok(m.is_online("bo")));
  CHECK(types_and_contents(ok(imp.get_messages("bo")))
        == lines{"KickOut:lost phone", "KickOut:admin"});
  auto s = ok(m.stats());
  CHECK(s.kicks == 2);
  CHECK(s.sessions == 1);
}

TEST_CASE("facade: metadata, offline buffer and stats", "[lifecycle]") {
  env e;
  in_memory_pusher imp{e.sys};
  online_manager m{e.sys};
  ok(m.register_pusher(imp));
  auto msg = make_text_message("while you were away");
  msg.keep_if_offline = true;
  CHECK(ok(m.push_message_to_user("cy", msg)).buffered == 1);
  ok(m.mark_online(user("cy", "t")));
  CHECK(wait_until([&] { return ok(imp.get_messages("cy")).size() == 1; }));
  CHECK(ok(m.update_metadata("cy", "t", {{"mood", "happy"}})).status
        == change_status::updated);
  auto sessions = ok(m.get_user_sessions("cy"));
  REQUIRE(sessions.size() == 1);
  CHECK(sessions[0].metadata == metadata_map{{"mood", "happy"}});
  auto s = ok(m.stats());
  CHECK(s.buffered == 1);
  CHECK(s.buffer_size == 0);
  CHECK(s.users == 1);
}

TEST_CASE("facade: events reach a subscribing actor", "[lifecycle]") {
  env e;
  online_manager m{e.sys};
  caf::scoped_actor self{e.sys};
  auto sink = caf::actor_cast<caf::actor>(self);
  auto sub = test::spawn_fn(e.sys, [sink](event_subscriber_actor::pointer me)
                                     -> event_subscriber_actor::behavior_type {
    return {
      [=](presence_events_atom, presence_events& x) {
        for (auto& ev : x.events)
          me->anon_send(sink, to_string(ev.kind) + " " + ev.session.token);
      },
    };
  });
  CHECK(ok(m.subscribe_events(sub)).status == change_status::subscribed);
  m.mark_online(user("di", "x"));
  m.mark_offline("di", "x");
  lines got;
  for (int i = 0; i < 4; ++i)
    self->receive([&](std::string& line) { got.push_back(line); },
                  caf::after(std::chrono::seconds(20)) >> [] {});
  CHECK(got == lines{"online x", "joined x", "left x", "offline x"});
  CHECK(ok(m.unsubscribe_events(sub)).status == change_status::unsubscribed);
  caf::anon_send_exit(sub, caf::exit_reason::user_shutdown);
}

TEST_CASE("facade: bad lifecycle input fails at once", "[lifecycle][bad]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("ed", "t")));
  CHECK_FAILS_AT_ONCE(m.mark_online(user("ed", "u"),
                                    login_policy{-3, false,
                                                 limit_action::replace}),
                      invalid_policy);
  CHECK_FAILS_AT_ONCE(m.mark_online(user("ed", "u"),
                                    login_policy{100000, false,
                                                 limit_action::replace}),
                      invalid_policy);
  CHECK_FAILS_AT_ONCE(m.kick_out_device("ed", "", "x"), empty_device);
  CHECK_FAILS_AT_ONCE(m.kick_out_session("ed", "", "x"), empty_token);
  CHECK_FAILS_AT_ONCE(m.kick_out_session("", "t", "x"), empty_login_id);
  CHECK_FAILS_AT_ONCE(m.update_metadata("ed", "", {}), empty_token);
  CHECK_FAILS_AT_ONCE(m.subscribe_events(event_subscriber_actor{}),
                      invalid_subscriber);
  CHECK_FAILS_AT_ONCE(m.unsubscribe_events(event_subscriber_actor{}),
                      invalid_subscriber);
  CHECK_FAILS_AT_ONCE(m.update_metadata("", "t", {}), empty_login_id);
  CHECK_FAILS_AT_ONCE(m.kick_out_device("", "ios", "x"), empty_login_id);
  // Nothing changed.
  CHECK(tokens_of(ok(m.get_user_sessions("ed"))) == lines{"t"});
}

TEST_CASE("lifecycle options are read and bad ones rejected", "[config]") {
  {
    env e{[](caf::actor_system_config& cfg) {
      auto err = cfg.parse(caf::actor_system_config::string_list{
        "--presence.idle-timeout=5min", "--presence.max-sessions=3",
        "--presence.one-session-per-device",
        "--presence.on-session-limit=reject",
        "--presence.offline-buffer-size=8"});
      if (err)
        FAIL("parse failed: " << caf::to_string(err));
    }};
    auto s = ok(read_settings(e.sys));
    CHECK(s.idle_timeout == std::chrono::minutes(5));
    CHECK(s.policy.max_sessions == 3);
    CHECK(s.policy.one_per_device);
    CHECK(s.policy.on_limit == limit_action::reject);
    CHECK(s.buffer_per_user == 8);
  }
  {
    env e{[](caf::actor_system_config& cfg) {
      cfg.set("presence.on-session-limit", "evict-all");
    }};
    CHECK_PRESENCE_ERROR(err_of(read_settings(e.sys)), invalid_policy);
    online_manager m{e.sys};
    CHECK_PRESENCE_ERROR(m.status(), invalid_policy);
  }
  {
    env e{[](caf::actor_system_config& cfg) {
      cfg.set("presence.max-sessions", -1);
    }};
    CHECK_PRESENCE_ERROR(err_of(read_settings(e.sys)), invalid_policy);
  }
  {
    env e{[](caf::actor_system_config& cfg) {
      cfg.set("presence.max-sessions", 5000000);
    }};
    CHECK_PRESENCE_ERROR(err_of(read_settings(e.sys)), invalid_policy);
  }
  {
    env e{[](caf::actor_system_config& cfg) {
      cfg.set("presence.idle-timeout", caf::timespan{-1});
    }};
    CHECK_PRESENCE_ERROR(err_of(read_settings(e.sys)), invalid_option);
  }
}

TEST_CASE("facade: a reader never sees a user offline while a one-device "
          "policy replaces sessions", "[lifecycle]") {
  env e;
  online_manager m{e.sys};
  login_policy one{1, false, limit_action::replace};
  ok(m.mark_online(user("solo", "s0"), one));
  std::atomic<bool> done{false};
  std::atomic<int> offline_seen{0};
  std::thread reader{[&] {
    while (!done.load())
      if (auto x = m.is_online("solo"); x && !*x)
        ++offline_seen;
  }};
  for (int i = 1; i <= 300; ++i)
    m.mark_online(user("solo", "s" + std::to_string(i)), one);
  m.sync();
  done = true;
  reader.join();
  CHECK(offline_seen.load() == 0);
  CHECK(tokens_of(ok(m.get_user_sessions("solo"))) == lines{"s300"});
}

} // namespace lifecycle_facade_tests

// Preparing the actor system: configure, options, settings, an unprepared
// system, and shutdown.

#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace config_tests {

using namespace presence;
using namespace test;

TEST_CASE("a system without configure reports system_not_configured",
          "[config]") {
  caf::actor_system_config plain;
  caf::actor_system sys{plain};
  CHECK_PRESENCE_ERROR(err_of(read_settings(sys)), system_not_configured);
  CHECK_PRESENCE_ERROR(err_of(spawn_registry(sys)), system_not_configured);
  {
    online_manager m{sys};
    CHECK_PRESENCE_ERROR(m.status(), system_not_configured);
    CHECK_PRESENCE_ERROR(err_of(m.mark_online(user("a", "t"))),
                         system_not_configured);
    CHECK_PRESENCE_ERROR(err_of(m.mark_offline("a", "t")),
                         system_not_configured);
    CHECK_PRESENCE_ERROR(err_of(m.mark_offline_all("a")),
                         system_not_configured);
    CHECK_PRESENCE_ERROR(err_of(m.update_activity("a", "t")),
                         system_not_configured);
    CHECK_PRESENCE_ERROR(err_of(m.is_online("a")), system_not_configured);
    CHECK_PRESENCE_ERROR(err_of(m.get_online_count()), system_not_configured);
    CHECK_PRESENCE_ERROR(err_of(m.get_session_count()),
                         system_not_configured);
    CHECK_PRESENCE_ERROR(err_of(m.get_online_users()), system_not_configured);
    CHECK_PRESENCE_ERROR(err_of(m.get_user_sessions("a")),
                         system_not_configured);
    CHECK_PRESENCE_ERROR(err_of(m.push_to_user("a", "x")),
                         system_not_configured);
    CHECK_PRESENCE_ERROR(err_of(m.push_to_users({"a"}, "x")),
                         system_not_configured);
    CHECK_PRESENCE_ERROR(err_of(m.broadcast("x")), system_not_configured);
    CHECK_PRESENCE_ERROR(err_of(m.kick_out_notify("a", "r")),
                         system_not_configured);
    test_pusher p{sys, pusher_mode::confirm};
    CHECK_PRESENCE_ERROR(err_of(m.register_pusher(p)), system_not_configured);
    CHECK_PRESENCE_ERROR(err_of(m.unregister_pusher(p)),
                         system_not_configured);
    m.sync(); // Must not hang.
  }
}

TEST_CASE("a configured system has the default settings", "[config]") {
  env e;
  auto s = ok(read_settings(e.sys));
  settings defaults;
  CHECK(s.max_content_size == 1024 * 1024);
  CHECK(s.max_content_size == defaults.max_content_size);
  CHECK(s.pusher_timeout == std::chrono::seconds(5));
  CHECK(s.batch_size == defaults.batch_size);
  CHECK(s.window == defaults.window);
  CHECK(s.batches_in_flight == defaults.batches_in_flight);
  online_manager m{e.sys};
  CHECK(m.status() == caf::none);
  CHECK(ok(m.get_online_count()) == 0u);
}

TEST_CASE("configure works on an application's own config", "[config]") {
  caf::actor_system_config cfg;
  configure(cfg);
  caf::actor_system sys{cfg};
  CHECK(ok(read_settings(sys)).window == settings{}.window);
  online_manager m{sys};
  CHECK(m.status() == caf::none);
  CHECK(ok(m.mark_online(user("a", "t"))).status == change_status::joined);
  CHECK(ok(m.is_online("a")));
}

TEST_CASE("presence options set on the config are read back", "[config]") {
  env e{[](caf::actor_system_config& cfg) {
    cfg.set("presence.max-content-size", 16);
    cfg.set("presence.pusher-timeout", caf::timespan{std::chrono::milliseconds(250)});
    cfg.set("presence.batch-size", 3);
    cfg.set("presence.window", 5);
    cfg.set("presence.batches-in-flight", 1);
  }};
  auto s = ok(read_settings(e.sys));
  CHECK(s.max_content_size == 16);
  CHECK(s.pusher_timeout == std::chrono::milliseconds(250));
  CHECK(s.batch_size == 3);
  CHECK(s.window == 5);
  CHECK(s.batches_in_flight == 1);
  // The facade applies them: 17 bytes exceed max-content-size.
  online_manager m{e.sys};
  ok(m.mark_online(user("a", "t")));
  CHECK_FAILS_AT_ONCE(m.push_to_user("a", std::string(17, 'x')),
                      content_too_large);
  CHECK(ok(m.push_to_user("a", std::string(16, 'x'))).users_targeted == 1);
}

TEST_CASE("presence options can be given on the command line", "[config]") {
  env e{[](caf::actor_system_config& cfg) {
    auto err = cfg.parse(caf::actor_system_config::string_list{
      "--presence.window=7", "--presence.max-content-size=100"});
    if (err)
      FAIL("parse failed: " << caf::to_string(err));
  }};
  auto s = ok(read_settings(e.sys));
  CHECK(s.window == 7);
  CHECK(s.max_content_size == 100);
}

TEST_CASE("an out-of-range option is reported as invalid_option",
          "[config]") {
  env e{[](caf::actor_system_config& cfg) { cfg.set("presence.window", 0); }};
  CHECK_PRESENCE_ERROR(err_of(read_settings(e.sys)), invalid_option);
  for (auto spin : {caf::timespan{-1}, caf::timespan{std::chrono::seconds(1)}}) {
    env e2{[&](caf::actor_system_config& cfg) {
      cfg.set("presence.scheduler-spin", spin);
    }};
    CHECK_PRESENCE_ERROR(err_of(read_settings(e2.sys)), invalid_option);
  }
}

TEST_CASE("destroying the manager stops its registry and user actors",
          "[config][lifecycle]") {
  env e;
  in_memory_pusher imp{e.sys};
  // Let the pushers' spawns settle, then take the baseline.
  ok(imp.dropped());
  auto baseline = running(e.sys);
  {
    online_manager m{e.sys};
    ok(m.register_pusher(imp));
    for (int i = 0; i < 20; ++i) {
      m.mark_online(user("u" + std::to_string(i), "t1"));
      m.mark_online(user("u" + std::to_string(i), "t2", "ios"));
    }
    m.push_to_users({"u1", "u2"}, "x");
    m.broadcast("all");
    CHECK(ok(m.get_online_count()) == 20u);
    CHECK(running(e.sys) > baseline);
    // Destroyed with work possibly still in flight.
  }
  INFO("baseline " << baseline << ", now " << running(e.sys));
  CHECK(wait_until([&] { return running(e.sys) == baseline; }));
  // The in-memory pusher still works after the manager is gone.
  CHECK(ok(imp.get_messages("u1")).size() == 2);
}

TEST_CASE("a registry spawned for actor code stops its user actors on exit",
          "[config][lifecycle]") {
  env e;
  caf::scoped_actor self{e.sys};
  auto baseline = running(e.sys);
  auto reg = ok(spawn_registry(e.sys));
  for (int i = 0; i < 5; ++i)
    CHECK(ok(ask<change_result>(self, reg, mark_online_atom::value,
                                user("u" + std::to_string(i), "t")))
            .status
          == change_status::joined);
  CHECK(ok(ask<uint64_t>(self, reg, online_count_atom::value)) == 5u);
  CHECK(running(e.sys) > baseline);
  caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
  CHECK(await_down(e.sys, reg));
  INFO("baseline " << baseline << ", now " << running(e.sys));
  CHECK(wait_until([&] { return running(e.sys) == baseline; }));
}

} // namespace config_tests

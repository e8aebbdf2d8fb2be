// Once the registry has terminated, the facade answers nothing from the view
// it last published: queries fail with registry_down, like writes.

#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace registry_down_tests {

using namespace presence;
using namespace test;

TEST_CASE("facade queries fail with registry_down once the registry is gone",
          "[registry][facade][failure]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  REQUIRE(ok(m.get_online_count()) == 1u);
  auto reg = m.registry();
  down_watcher watcher{e.sys, reg};
  caf::anon_send_exit(reg, caf::exit_reason::kill);
  REQUIRE(watcher.await());
  // The facade's client learns of the death by its own down message, which
  // may arrive after the watcher's: wait for a push to fail first. Not a
  // write: one lost in flight would make every later query fail anyway.
  REQUIRE(wait_until([&] {
    auto rep = m.push_to_user("nobody", "x").get();
    return !rep && is(rep.error(), error::registry_down);
  }));
  CHECK_PRESENCE_ERROR(err_of(m.is_online("alice")), registry_down);
  CHECK_PRESENCE_ERROR(err_of(m.get_online_count()), registry_down);
  CHECK_PRESENCE_ERROR(err_of(m.get_session_count()), registry_down);
  CHECK_PRESENCE_ERROR(err_of(m.get_online_users()), registry_down);
  CHECK_PRESENCE_ERROR(err_of(m.get_user_sessions("alice")), registry_down);
  CHECK_PRESENCE_ERROR(err_of(m.stats()), registry_down);
  // Invalid input is still reported as such.
  CHECK_PRESENCE_ERROR(err_of(m.is_online("")), empty_login_id);
}

TEST_CASE("a query after a write that the dead registry never answered fails "
          "with registry_down",
          "[registry][facade][failure]") {
  env e;
  online_manager m{e.sys};
  test_pusher stuck{e.sys, pusher_mode::silent};
  ok(m.register_pusher(stuck));
  ok(m.mark_online(user("alice", "t1")));
  auto reg = m.registry();
  down_watcher watcher{e.sys, reg};
  // A kick is a write that waits on the silent pusher: queries wait for it.
  auto kick = m.kick_out_notify("alice", "bye");
  REQUIRE(stuck.events().wait_deliveries(1));
  caf::anon_send_exit(reg, caf::exit_reason::kill);
  REQUIRE(watcher.await());
  CHECK_PRESENCE_ERROR(err_of(m.get_online_count()), registry_down);
  CHECK_PRESENCE_ERROR(err_of(kick), registry_down);
}

TEST_CASE("a long mark_offline_users list in progress when the registry "
          "dies gets an answer",
          "[registry][facade][failure]") {
  env e;
  online_manager m{e.sys};
  std::vector<std::string> ids;
  for (int i = 0; i < 20000; ++i) {
    ids.push_back("u" + std::to_string(i));
    m.mark_online(user(ids.back(), "t"));
  }
  m.sync();
  auto reg = m.registry();
  down_watcher watcher{e.sys, reg};
  auto logout = m.mark_offline_users(ids);
  caf::anon_send_exit(reg, caf::exit_reason::kill);
  REQUIRE(watcher.await());
  // Done before the kill, or failed by it: never left waiting.
  auto res = logout.get();
  if (!res)
    CHECK_PRESENCE_ERROR(res.error(), registry_down);
  else
    CHECK(res->removed == ids.size());
  CHECK_FALSE(m.sync());
  CHECK_PRESENCE_ERROR(err_of(m.mark_offline_users(ids)), registry_down);
}

} // namespace registry_down_tests

// Bounds on ids, metadata and reasons (presence.max-id-size,
// presence.max-metadata-entries, presence.max-metadata-size, content plus
// metadata against presence.max-content-size), enforced alike by the facade
// and the typed registry; and dead pusher and subscriber handles.

#include "test_util.hpp"
#include "spawn_fn.hpp"

// A namespace per test file: the tests build in unity batches.
namespace limits_tests {

using namespace presence;
using namespace test;

namespace {

/// Checks that `err` names `what` in its context, so a caller can tell which
/// field broke which limit.
void check_context(const caf::error& err, const std::string& what) {
  auto str = caf::to_string(err);
  INFO("error: " << str << ", expected to mention: " << what);
  CHECK(str.find(what) != std::string::npos);
}

metadata_map entries(size_t n) {
  metadata_map md;
  for (size_t i = 0; i < n; ++i)
    md.emplace("k" + std::to_string(i), "v");
  return md;
}

} // namespace

TEST_CASE("ids are bounded by presence.max-id-size and must be UTF-8",
          "[limits][bad-input]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  ok(m.register_pusher(imp));
  auto at_limit = std::string(256, 'a');
  auto too_long = std::string(257, 'a');
  auto bad = std::string{"\xff"};
  ok(m.mark_online(user("alice", "t1")));
  // The limit itself is fine.
  CHECK(ok(m.mark_online(user(at_limit, at_limit, at_limit))).status
        == change_status::joined);
  // Login ids.
  auto err = err_of(m.mark_online(user(too_long, "t")));
  CHECK_PRESENCE_ERROR(err, field_too_long);
  check_context(err, "login id");
  check_context(err, "presence.max-id-size");
  check_context(err, "256");
  CHECK_FAILS_AT_ONCE(m.mark_online(user(bad, "t")), invalid_utf8);
  CHECK_FAILS_AT_ONCE(m.mark_offline(too_long, "t"), field_too_long);
  CHECK_FAILS_AT_ONCE(m.mark_offline_all(bad), invalid_utf8);
  CHECK_FAILS_AT_ONCE(m.update_activity(too_long, "t"), field_too_long);
  CHECK_FAILS_AT_ONCE(m.push_to_user(too_long, "x"), field_too_long);
  CHECK_FAILS_AT_ONCE(m.push_to_users({"alice", bad}, "x"), invalid_utf8);
  CHECK_FAILS_AT_ONCE(m.kick_out_notify(too_long, "r"), field_too_long);
  CHECK_PRESENCE_ERROR(err_of(m.is_online(too_long)), field_too_long);
  CHECK_PRESENCE_ERROR(err_of(m.get_user_sessions(bad)), invalid_utf8);
  // Tokens.
  err = err_of(m.mark_online(user("alice", too_long)));
  CHECK_PRESENCE_ERROR(err, field_too_long);
  check_context(err, "token");
  CHECK_FAILS_AT_ONCE(m.mark_online(user("alice", bad)), invalid_utf8);
  CHECK_FAILS_AT_ONCE(m.mark_offline("alice", too_long), field_too_long);
  CHECK_FAILS_AT_ONCE(m.kick_out_session("alice", bad, "r"), invalid_utf8);
  // Devices.
  err = err_of(m.mark_online(user("alice", "t2", too_long)));
  CHECK_PRESENCE_ERROR(err, field_too_long);
  check_context(err, "device");
  CHECK_FAILS_AT_ONCE(m.mark_online(user("alice", "t2", bad)), invalid_utf8);
  CHECK_FAILS_AT_ONCE(m.kick_out_device("alice", too_long, "r"),
                      field_too_long);
  // Custom type names and message ids.
  err = err_of(
    m.push_message_to_user("alice", make_custom_message(too_long, "x")));
  CHECK_PRESENCE_ERROR(err, field_too_long);
  check_context(err, "custom type");
  CHECK_FAILS_AT_ONCE(
    m.push_message_to_user("alice", make_custom_message(bad, "x")),
    invalid_utf8);
  auto with_id = make_text_message("x");
  with_id.message_id = too_long;
  CHECK_FAILS_AT_ONCE(m.broadcast_message(with_id), field_too_long);
  // Nothing of it changed anything.
  m.sync();
  CHECK(ok(m.get_online_count()) == 2u);
  CHECK(ok(m.get_session_count()) == 2u);
  CHECK(ok(imp.get_messages("alice")).empty());
}

TEST_CASE("a configured presence.max-id-size applies", "[limits][bad-input]") {
  env e{[](caf::actor_system_config& cfg) {
    cfg.set("presence.max-id-size", 4);
  }};
  online_manager m{e.sys};
  CHECK(ok(m.mark_online(user("abcd", "t", "ios"))).status
        == change_status::joined);
  auto err = err_of(m.mark_online(user("abcde", "t")));
  CHECK_PRESENCE_ERROR(err, field_too_long);
  check_context(err, "5 bytes");
  check_context(err, "4");
  caf::scoped_actor self{e.sys};
  CHECK_PRESENCE_ERROR(err_of(ask<bool>(self, m.registry(),
                                        is_online_atom::value,
                                        std::string{"abcde"})),
                       field_too_long);
}

TEST_CASE("mark_online needs a device", "[limits][bad-input]") {
  env e;
  online_manager m{e.sys};
  CHECK_FAILS_AT_ONCE(m.mark_online(user("alice", "t", "")), empty_device);
  CHECK_FAILS_AT_ONCE(
    m.mark_online(user("alice", "t", ""), login_policy::unlimited()),
    empty_device);
  caf::scoped_actor self{e.sys};
  CHECK_PRESENCE_ERROR(err_of(ask<change_result>(self, m.registry(),
                                                 mark_online_atom::value,
                                                 user("alice", "t", ""))),
                       empty_device);
  CHECK(ok(m.get_online_count()) == 0u);
}

TEST_CASE("session metadata is bounded in entries and bytes",
          "[limits][bad-input]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  CHECK(ok(m.mark_online(user("bob", "t1", "web", entries(64)))).status
        == change_status::joined);
  auto err = err_of(m.mark_online(user("carol", "t1", "web", entries(65))));
  CHECK_PRESENCE_ERROR(err, metadata_too_large);
  check_context(err, "presence.max-metadata-entries");
  CHECK_FAILS_AT_ONCE(m.update_metadata("alice", "t1", entries(65)),
                      metadata_too_large);
  // 16 KiB of keys and values together.
  metadata_map big{{"k", std::string(16 * 1024 - 1, 'v')}};
  CHECK(ok(m.update_metadata("alice", "t1", big)).status
        == change_status::updated);
  big["k"].push_back('v');
  err = err_of(m.update_metadata("alice", "t1", big));
  CHECK_PRESENCE_ERROR(err, metadata_too_large);
  check_context(err, "presence.max-metadata-size");
  // Keys are names: bounded like ids, valid UTF-8.
  CHECK_FAILS_AT_ONCE(
    m.update_metadata("alice", "t1", {{std::string(257, 'k'), "v"}}),
    field_too_long);
  CHECK_FAILS_AT_ONCE(m.update_metadata("alice", "t1", {{"\xff", "v"}}),
                      invalid_utf8);
  caf::scoped_actor self{e.sys};
  CHECK_PRESENCE_ERROR(
    err_of(ask<change_result>(self, m.registry(), update_metadata_atom::value,
                              std::string{"alice"}, std::string{"t1"},
                              entries(65))),
    metadata_too_large);
  CHECK_PRESENCE_ERROR(err_of(ask<change_result>(
                         self, m.registry(), mark_online_atom::value,
                         user("carol", "t1", "web", entries(65)))),
                       metadata_too_large);
  CHECK(ok(m.get_online_count()) == 2u);
}

TEST_CASE("push metadata counts with the content against "
          "presence.max-content-size",
          "[limits][bad-input]") {
  env e{[](caf::actor_system_config& cfg) {
    cfg.set("presence.max-content-size", 100);
  }};
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  auto msg = make_binary_message(std::string(50, 'c'));
  msg.metadata = {{"key", std::string(47, 'v')}}; // 50 + 3 + 47 = 100
  CHECK(ok(m.push_message_to_user("alice", msg)).users_targeted == 1);
  msg.metadata["key"].push_back('v');
  auto err = err_of(m.push_message_to_user("alice", msg));
  CHECK_PRESENCE_ERROR(err, content_too_large);
  check_context(err, "presence.max-content-size");
  CHECK_FAILS_AT_ONCE(m.broadcast_message(msg), content_too_large);
  caf::scoped_actor self{e.sys};
  CHECK_PRESENCE_ERROR(err_of(ask<delivery_report>(self, m.registry(),
                                                   push_atom::value,
                                                   std::string{"alice"}, msg)),
                       content_too_large);
  // Entries are bounded too, whatever their size.
  auto many = make_binary_message("");
  many.metadata = entries(65);
  CHECK_FAILS_AT_ONCE(m.push_message_to_user("alice", many),
                      metadata_too_large);
}

TEST_CASE("Notification content must be valid UTF-8", "[limits][bad-input]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  CHECK_FAILS_AT_ONCE(m.push_message_to_user("alice", make_notification("\xff")),
                      invalid_utf8);
  CHECK_FAILS_AT_ONCE(m.broadcast_message(make_notification("\xc3")),
                      invalid_utf8);
  CHECK(ok(m.push_message_to_user("alice", make_notification("gr\xc3\xbc\xc3\x9f")))
          .users_targeted
        == 1);
}

TEST_CASE("kick reasons are bounded and UTF-8", "[limits][bad-input]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1", "ios")));
  auto err = err_of(m.kick_out_notify("alice", std::string(257, 'r')));
  CHECK_PRESENCE_ERROR(err, field_too_long);
  check_context(err, "reason");
  CHECK_FAILS_AT_ONCE(m.kick_out_session("alice", "t1", "\xff"), invalid_utf8);
  CHECK_FAILS_AT_ONCE(m.kick_out_device("alice", "ios", std::string(257, 'r')),
                      field_too_long);
  CHECK_FAILS_AT_ONCE(
    m.push_message_to_user("alice", make_kick_out_message("\xff")),
    invalid_utf8);
  caf::scoped_actor self{e.sys};
  CHECK_PRESENCE_ERROR(err_of(ask<delivery_report>(
                         self, m.registry(), kick_device_atom::value,
                         std::string{"alice"}, std::string{"ios"},
                         std::string{"\xff"})),
                       invalid_utf8);
  CHECK(ok(m.is_online("alice")));
  // An empty reason is fine (it becomes "kicked").
  CHECK(ok(m.kick_out_device("alice", "ios", "")).users_targeted == 1);
  CHECK_FALSE(ok(m.is_online("alice")));
}

TEST_CASE("limit options out of range are invalid_option",
          "[limits][config]") {
  auto check_option = [](const char* name, int64_t value) {
    INFO(name << " = " << value);
    env e{[&](caf::actor_system_config& cfg) { cfg.set(name, value); }};
    auto s = read_settings(e.sys);
    REQUIRE_FALSE(s);
    CHECK(is(s.error(), error::invalid_option));
  };
  check_option("presence.max-id-size", 0);
  check_option("presence.max-id-size", 65537);
  check_option("presence.max-metadata-entries", 65537);
  check_option("presence.max-metadata-size", (int64_t{1} << 30) + 1);
  env e{[](caf::actor_system_config& cfg) {
    cfg.set("presence.max-id-size", 1024);
    cfg.set("presence.max-metadata-entries", 0);
    cfg.set("presence.max-metadata-size", 0);
  }};
  auto s = read_settings(e.sys);
  REQUIRE(s);
  CHECK(s->max_id_size == 1024);
  CHECK(s->max_metadata_entries == 0);
  CHECK(s->max_metadata_size == 0);
  auto d = read_settings(env{}.sys);
  REQUIRE(d);
  CHECK(d->max_id_size == 256);
  CHECK(d->max_metadata_entries == 64);
  CHECK(d->max_metadata_size == 16 * 1024);
}

TEST_CASE("a dead pusher or subscriber is refused", "[limits][bad-input]") {
  env e;
  online_manager m{e.sys};
  test_pusher dead{e.sys, pusher_mode::confirm};
  auto p = dead.handle();
  caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  REQUIRE(await_down(e.sys, p));
  auto err = err_of(m.register_pusher(p));
  CHECK_PRESENCE_ERROR(err, invalid_pusher);
  check_context(err, "terminated");
  caf::scoped_actor self{e.sys};
  CHECK_PRESENCE_ERROR(err_of(ask<change_result>(self, m.registry(),
                                                 subscribe_atom::value, p)),
                       invalid_pusher);
  auto sub = test::spawn_fn(e.sys,
    [](event_subscriber_actor::pointer) -> event_subscriber_actor::behavior_type {
      return {[](presence_events_atom, presence_events&) {}};
    });
  caf::anon_send_exit(sub, caf::exit_reason::user_shutdown);
  REQUIRE(await_down(e.sys, sub));
  CHECK_PRESENCE_ERROR(err_of(m.subscribe_events(sub)), invalid_subscriber);
  CHECK_PRESENCE_ERROR(err_of(ask<change_result>(
                         self, m.registry(), subscribe_events_atom::value, sub)),
                       invalid_subscriber);
  // Unsubscribing a dead handle stays a harmless no-op.
  CHECK(ok(m.unregister_pusher(p)).status == change_status::unknown_pusher);
  // Nothing subscribed: a push reaches no pusher and reports none failed.
  ok(m.mark_online(user("alice", "t1")));
  auto rep = ok(m.push_to_user("alice", "x"));
  CHECK(rep.users_reached == 0);
  CHECK(rep.failed_pushers.empty());
}

} // namespace limits_tests

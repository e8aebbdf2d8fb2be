// Invalid input: every error code, immediate failure, and the registry keeps
// serving everybody else.

#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace bad_input_tests {

using namespace presence;
using namespace test;

TEST_CASE("an empty login id is rejected at once", "[bad-input]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  CHECK_FAILS_AT_ONCE(m.mark_online(user("", "t1")), empty_login_id);
  CHECK_FAILS_AT_ONCE(m.mark_offline("", "t1"), empty_login_id);
  CHECK_FAILS_AT_ONCE(m.mark_offline_all(""), empty_login_id);
  CHECK_FAILS_AT_ONCE(m.update_activity("", "t1"), empty_login_id);
  CHECK_FAILS_AT_ONCE(m.push_to_user("", "x"), empty_login_id);
  CHECK_FAILS_AT_ONCE(m.push_message_to_user("", make_notification("x")),
                      empty_login_id);
  CHECK_FAILS_AT_ONCE(m.push_to_users({"alice", ""}, "x"), empty_login_id);
  CHECK_FAILS_AT_ONCE(
    m.push_message_to_users({"", "alice"}, make_text_message("x")),
    empty_login_id);
  CHECK_FAILS_AT_ONCE(m.kick_out_notify("", "r"), empty_login_id);
  CHECK_PRESENCE_ERROR(err_of(m.is_online("")), empty_login_id);
  CHECK_PRESENCE_ERROR(err_of(m.get_user_sessions("")), empty_login_id);
  // Nothing happened to the valid user.
  CHECK(ok(m.get_online_count()) == 1u);
  CHECK(ok(m.get_session_count()) == 1u);
}

TEST_CASE("an empty token is rejected at once", "[bad-input]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  CHECK_FAILS_AT_ONCE(m.mark_online(user("alice", "")), empty_token);
  CHECK_FAILS_AT_ONCE(m.mark_offline("alice", ""), empty_token);
  CHECK_FAILS_AT_ONCE(m.update_activity("alice", ""), empty_token);
  // Both empty: the login id is checked first.
  CHECK_FAILS_AT_ONCE(m.mark_online(user("", "")), empty_login_id);
  CHECK(ok(m.get_session_count()) == 1u);
  CHECK(tokens_of(ok(m.get_user_sessions("alice")))
        == std::vector<std::string>{"t1"});
}

TEST_CASE("content over presence.max-content-size is rejected at once",
          "[bad-input]") {
  SECTION("default limit of 1 MiB") {
    env e;
    online_manager m{e.sys};
    in_memory_pusher imp{e.sys};
    ok(m.register_pusher(imp));
    ok(m.mark_online(user("alice", "t1")));
    const size_t limit = 1024 * 1024;
    auto big = std::string(limit + 1, 'a');
    CHECK_FAILS_AT_ONCE(m.push_to_user("alice", big), content_too_large);
    CHECK_FAILS_AT_ONCE(m.push_to_users({"alice"}, big), content_too_large);
    CHECK_FAILS_AT_ONCE(m.broadcast(big), content_too_large);
    CHECK_FAILS_AT_ONCE(m.broadcast_message(make_binary_message(big)),
                        content_too_large);
    CHECK_FAILS_AT_ONCE(m.kick_out_notify("alice", big), content_too_large);
    // Exactly at the limit is fine.
    auto rep = ok(m.push_to_user("alice", std::string(limit, 'b')));
    CHECK(rep.users_reached == 1);
    auto msgs = ok(imp.get_messages("alice"));
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].content.size() == limit);
    // The rejected kick did not take the user offline.
    CHECK(ok(m.is_online("alice")));
  }
  SECTION("configured limit") {
    env e{[](caf::actor_system_config& cfg) {
      cfg.set("presence.max-content-size", 8);
    }};
    online_manager m{e.sys};
    ok(m.mark_online(user("alice", "t1")));
    CHECK_FAILS_AT_ONCE(m.push_to_user("alice", "123456789"),
                        content_too_large);
    CHECK_FAILS_AT_ONCE(
      m.push_message_to_user("alice", make_custom_message("t", "123456789")),
      content_too_large);
    CHECK(ok(m.push_to_user("alice", "12345678")).users_targeted == 1);
  }
}

TEST_CASE("Text content must be valid UTF-8", "[bad-input]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  ok(m.register_pusher(imp));
  ok(m.mark_online(user("alice", "t1")));
  CHECK_FAILS_AT_ONCE(m.push_to_user("alice", "bad \xff\xfe"), invalid_utf8);
  CHECK_FAILS_AT_ONCE(m.push_to_users({"alice"}, "\xc3"), invalid_utf8);
  CHECK_FAILS_AT_ONCE(m.broadcast("\xed\xa0\x80"), invalid_utf8);
  CHECK_FAILS_AT_ONCE(m.push_message_to_user("alice", make_text_message("\x80")),
                      invalid_utf8);
  // Binary content is not checked.
  auto rep = ok(m.push_message_to_user("alice", make_binary_message("\xff\xfe")));
  CHECK(rep.users_reached == 1);
  // Valid multi-byte text is fine.
  CHECK(ok(m.push_to_user("alice", "gr\xc3\xbc\xc3\x9f \xf0\x9f\x91\x8b"))
          .users_reached
        == 1);
  auto msgs = ok(imp.get_messages("alice"));
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[0].type == message_type::binary());
}

TEST_CASE("a Custom type needs a name", "[bad-input]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  CHECK_FAILS_AT_ONCE(m.push_message_to_user("alice", make_custom_message("", "x")),
                      empty_custom_type);
  CHECK_FAILS_AT_ONCE(
    m.push_message_to_users({"alice"}, make_custom_message("", "x")),
    empty_custom_type);
  CHECK_FAILS_AT_ONCE(m.broadcast_message(make_custom_message("", "x")),
                      empty_custom_type);
  CHECK(ok(m.push_message_to_user("alice", make_custom_message("c", "x")))
          .users_targeted
        == 1);
}

TEST_CASE("an invalid pusher handle is rejected", "[bad-input]") {
  env e;
  online_manager m{e.sys};
  CHECK_PRESENCE_ERROR(err_of(m.register_pusher(pusher_actor{})),
                       invalid_pusher);
  CHECK_PRESENCE_ERROR(err_of(m.unregister_pusher(pusher_actor{})),
                       invalid_pusher);
  ok(m.mark_online(user("alice", "t1")));
  CHECK(ok(m.push_to_user("alice", "x")).failed_pushers.empty());
}

TEST_CASE("invalid input does not disturb the registry", "[bad-input]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  ok(m.register_pusher(imp));
  constexpr int n_threads = 3;
  constexpr int rounds = 100;
  std::atomic<int> unexpected{0};
  auto worker = [&](int k) {
    std::vector<pending<change_result>> good_changes;
    std::vector<pending<delivery_report>> good_pushes;
    for (int i = 0; i < rounds; ++i) {
      auto id = "w" + std::to_string(k) + "-" + std::to_string(i);
      good_changes.push_back(m.mark_online(user(id, "t")));
      auto bad1 = m.mark_online(user("", "t"));
      auto bad2 = m.push_to_user(id, "\xff");
      auto bad3 = m.push_message_to_user(id, make_custom_message("", "x"));
      auto bad4 = m.mark_offline(id, "");
      good_pushes.push_back(m.push_to_user(id, "ok"));
      if (!bad1.ready() || bad1.get() || !bad2.ready() || bad2.get()
          || !bad3.ready() || bad3.get() || !bad4.ready() || bad4.get())
        ++unexpected;
      auto online = m.is_online(id);
      if (!online || !*online)
        ++unexpected;
    }
    for (auto& p : good_changes) {
      auto r = p.get();
      if (!r || r->status != change_status::joined)
        ++unexpected;
    }
    for (auto& p : good_pushes) {
      auto r = p.get();
      if (!r || r->users_reached != 1 || r->sessions_reached != 1)
        ++unexpected;
    }
  };
  std::vector<std::thread> threads;
  for (int k = 0; k < n_threads; ++k)
    threads.emplace_back(worker, k);
  for (auto& t : threads)
    t.join();
  CHECK(unexpected == 0);
  m.sync();
  CHECK(ok(m.get_online_count()) == size_t{n_threads * rounds});
  CHECK(ok(m.get_session_count()) == size_t{n_threads * rounds});
  for (int k = 0; k < n_threads; ++k)
    CHECK(contents_of(ok(imp.get_messages("w" + std::to_string(k) + "-7")))
          == std::vector<std::string>{"ok"});
  CHECK(ok(m.broadcast("end")).users_reached == size_t{n_threads * rounds});
}

} // namespace bad_input_tests

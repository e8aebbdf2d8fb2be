// Pushes through the facade, delivery reports and the in-memory pusher.

#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace push_tests {

using namespace presence;
using namespace test;

TEST_CASE("push_to_user delivers a Text message to every session",
          "[push]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  auto sub = ok(m.register_pusher(imp));
  CHECK(sub.status == change_status::subscribed);
  ok(m.mark_online(user("alice", "t1", "web")));
  ok(m.mark_online(user("alice", "t2", "ios")));
  ok(m.mark_online(user("bob", "b1")));
  auto before = caf::make_timestamp();
  auto rep = ok(m.push_to_user("alice", "hello"));
  CHECK_FALSE(rep.message_id.empty());
  CHECK(rep.users_targeted == 1);
  CHECK(rep.users_reached == 1);
  CHECK(rep.sessions_reached == 2);
  CHECK(rep.not_online.empty());
  CHECK(rep.failed_pushers.empty());
  // Stored once per delivery (per user), not once per session.
  auto msgs = ok(imp.get_messages("alice"));
  REQUIRE(msgs.size() == 1);
  CHECK(msgs[0].content == "hello");
  CHECK(msgs[0].type == message_type::text());
  CHECK(msgs[0].message_id == rep.message_id);
  CHECK(msgs[0].timestamp >= before);
  CHECK(ok(imp.get_messages("bob")).empty());
  CHECK(ok(imp.dropped()) == 0u);
}

TEST_CASE("push_message_to_user keeps type, metadata and a given id",
          "[push]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  ok(m.register_pusher(imp));
  ok(m.mark_online(user("alice", "t1")));
  auto custom = make_custom_message("game.move", "e2e4");
  custom.message_id = "my-id-1";
  custom.metadata = {{"game", "42"}};
  custom.timestamp = caf::make_timestamp() - std::chrono::minutes(5);
  auto rep = ok(m.push_message_to_user("alice", custom));
  CHECK(rep.message_id == "my-id-1");
  CHECK(rep.users_reached == 1);
  ok(m.push_message_to_user("alice", make_notification("note")));
  ok(m.push_message_to_user("alice",
                            make_binary_message(std::string("\x00\xff", 2))));
  auto msgs = ok(imp.get_messages("alice"));
  REQUIRE(msgs.size() == 3);
  CHECK(msgs[0] == custom);
  CHECK(msgs[1].type == message_type::notification());
  CHECK(msgs[1].content == "note");
  CHECK(msgs[2].type == message_type::binary());
  CHECK(msgs[2].content == std::string("\x00\xff", 2));
}

TEST_CASE("pushing to an offline user is not an error", "[push][report]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  ok(m.register_pusher(imp));
  auto rep = ok(m.push_to_user("ghost", "boo"));
  CHECK_FALSE(rep.message_id.empty());
  CHECK(rep.users_targeted == 0);
  CHECK(rep.users_reached == 0);
  CHECK(rep.sessions_reached == 0);
  CHECK(rep.not_online == std::vector<std::string>{"ghost"});
  CHECK(rep.failed_pushers.empty());
  CHECK(ok(imp.get_messages("ghost")).empty());
}

TEST_CASE("push_to_users reaches each listed user once", "[push][report]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  ok(m.register_pusher(imp));
  ok(m.mark_online(user("a", "a1")));
  ok(m.mark_online(user("a", "a2", "ios")));
  ok(m.mark_online(user("b", "b1")));
  ok(m.mark_online(user("z", "z1")));
  auto rep = ok(m.push_to_users({"a", "b", "a", "c", "c", "b", "d"}, "hi"));
  CHECK(rep.users_targeted == 2);
  CHECK(rep.users_reached == 2);
  CHECK(rep.sessions_reached == 3);
  CHECK(sorted(rep.not_online) == std::vector<std::string>{"c", "d"});
  CHECK(rep.failed_pushers.empty());
  CHECK(ok(imp.get_messages("a")).size() == 1);
  CHECK(ok(imp.get_messages("b")).size() == 1);
  CHECK(ok(imp.get_messages("z")).empty());
  auto rep2 = ok(m.push_message_to_users({"z"}, make_notification("n")));
  CHECK(rep2.users_reached == 1);
  CHECK(rep2.not_online.empty());
  auto empty = ok(m.push_to_users({}, "nobody"));
  CHECK(empty.users_targeted == 0);
  CHECK(empty.users_reached == 0);
}

TEST_CASE("broadcast reaches every online user exactly once",
          "[push][broadcast]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  test_pusher counting{e.sys, pusher_mode::confirm};
  ok(m.register_pusher(imp));
  ok(m.register_pusher(counting));
  SECTION("nobody online") {
    auto rep = ok(m.broadcast("void"));
    CHECK(rep.users_targeted == 0);
    CHECK(rep.users_reached == 0);
    CHECK(rep.sessions_reached == 0);
    CHECK(rep.not_online.empty());
  }
  SECTION("multi-device users") {
    ok(m.mark_online(user("a", "a1")));
    ok(m.mark_online(user("a", "a2", "ios")));
    ok(m.mark_online(user("a", "a3", "android")));
    ok(m.mark_online(user("b", "b1")));
    ok(m.mark_online(user("c", "c1")));
    ok(m.mark_online(user("c", "c2", "ios")));
    ok(m.mark_online(user("gone", "g1")));
    ok(m.mark_offline("gone", "g1"));
    auto rep = ok(m.broadcast("to all"));
    CHECK(rep.users_targeted == 3);
    CHECK(rep.users_reached == 3);
    CHECK(rep.sessions_reached == 6);
    CHECK(rep.not_online.empty());
    CHECK(rep.failed_pushers.empty());
    for (auto id : {"a", "b", "c"}) {
      INFO(id);
      auto msgs = ok(imp.get_messages(id));
      REQUIRE(msgs.size() == 1);
      CHECK(msgs[0].content == "to all");
      CHECK(msgs[0].message_id == rep.message_id);
    }
    CHECK(ok(imp.get_messages("gone")).empty());
    // The other pusher saw every user once with all of its sessions.
    std::map<std::string, std::vector<std::string>> seen;
    for (auto& b : counting.events().snapshot())
      for (auto& d : b.deliveries) {
        CHECK(b.message_of(d).content == "to all");
        for (auto& s : b.sessions_of(d))
          seen[d.login_id].push_back(s.token);
      }
    CHECK(seen.size() == 3);
    CHECK(sorted(seen["a"]) == std::vector<std::string>{"a1", "a2", "a3"});
    CHECK(seen["b"] == std::vector<std::string>{"b1"});
    CHECK(sorted(seen["c"]) == std::vector<std::string>{"c1", "c2"});
    auto rep2 = ok(m.broadcast_message(make_custom_message("sys", "x")));
    CHECK(rep2.users_reached == 3);
    CHECK(rep2.sessions_reached == 6);
    CHECK(ok(imp.get_messages("b")).back().type == message_type::custom("sys"));
  }
}

TEST_CASE("with no pushers nothing is reached", "[push][report]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  auto rep = ok(m.push_to_user("alice", "x"));
  CHECK(rep.users_targeted == 1);
  CHECK(rep.users_reached == 0);
  CHECK(rep.sessions_reached == 0);
  CHECK(rep.failed_pushers.empty());
  CHECK(rep.not_online.empty());
  auto bc = ok(m.broadcast("y"));
  CHECK(bc.users_targeted == 1);
  CHECK(bc.users_reached == 0);
  CHECK(bc.sessions_reached == 0);
}

TEST_CASE("several pushers each get the delivery and sessions count once",
          "[push][report]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher one{e.sys};
  in_memory_pusher two{e.sys};
  ok(m.register_pusher(one));
  ok(m.register_pusher(two));
  ok(m.mark_online(user("alice", "t1")));
  ok(m.mark_online(user("alice", "t2")));
  auto rep = ok(m.push_to_user("alice", "both"));
  CHECK(rep.users_reached == 1);
  CHECK(rep.sessions_reached == 2);
  CHECK(ok(one.get_messages("alice")).size() == 1);
  CHECK(ok(two.get_messages("alice")).size() == 1);
}

TEST_CASE("register_pusher twice and unregister_pusher", "[push][pushers]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  CHECK(ok(m.register_pusher(imp)).status == change_status::subscribed);
  // Subscribing again changes nothing: still one delivery per push.
  CHECK(ok(m.register_pusher(imp)).status == change_status::subscribed);
  CHECK(ok(m.push_to_user("alice", "one")).users_reached == 1);
  CHECK(ok(imp.get_messages("alice")).size() == 1);
  CHECK(ok(m.unregister_pusher(imp)).status == change_status::unsubscribed);
  CHECK(ok(m.unregister_pusher(imp)).status == change_status::unknown_pusher);
  auto rep = ok(m.push_to_user("alice", "two"));
  CHECK(rep.users_targeted == 1);
  CHECK(rep.users_reached == 0);
  CHECK(rep.failed_pushers.empty());
  CHECK(contents_of(ok(imp.get_messages("alice")))
        == std::vector<std::string>{"one"});
  // And back.
  CHECK(ok(m.register_pusher(imp)).status == change_status::subscribed);
  CHECK(ok(m.push_to_user("alice", "three")).users_reached == 1);
  CHECK(contents_of(ok(imp.get_messages("alice")))
        == std::vector<std::string>{"one", "three"});
}

TEST_CASE("kick_out_notify sends KickOut to all sessions, then offline",
          "[push][kick]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  test_pusher rec{e.sys, pusher_mode::confirm};
  ok(m.register_pusher(imp));
  ok(m.register_pusher(rec));
  ok(m.mark_online(user("alice", "t1")));
  ok(m.mark_online(user("alice", "t2", "ios")));
  ok(m.mark_online(user("bob", "b1")));
  auto rep = ok(m.kick_out_notify("alice", "duplicate login"));
  CHECK(rep.users_targeted == 1);
  CHECK(rep.users_reached == 1);
  CHECK(rep.sessions_reached == 2);
  CHECK(rep.failed_pushers.empty());
  CHECK_FALSE(ok(m.is_online("alice")));
  CHECK(ok(m.get_user_sessions("alice")).empty());
  CHECK(ok(m.get_online_count()) == 1u);
  CHECK(ok(m.get_session_count()) == 1u);
  auto msgs = ok(imp.get_messages("alice"));
  REQUIRE(msgs.size() == 1);
  CHECK(msgs[0].type == message_type::kick_out());
  CHECK(msgs[0].content == "duplicate login");
  CHECK(msgs[0].message_id == rep.message_id);
  std::vector<std::string> tokens;
  for (auto& b : rec.events().snapshot())
    for (auto& d : b.deliveries)
      for (auto& s : b.sessions_of(d))
        tokens.push_back(s.token);
  CHECK(sorted(tokens) == std::vector<std::string>{"t1", "t2"});
  // Kicking a user that is not online: nothing delivered, named as offline.
  auto rep2 = ok(m.kick_out_notify("alice", "again"));
  CHECK(rep2.users_reached == 0);
  CHECK(rep2.users_targeted == 0);
  CHECK(rep2.not_online == std::vector<std::string>{"alice"});
  CHECK(ok(imp.get_messages("alice")).size() == 1);
  CHECK(ok(m.is_online("bob")));
}

TEST_CASE("kick_out_notify with a failing pusher still takes the user offline",
          "[push][kick][failure]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  test_pusher bad{e.sys, pusher_mode::fail};
  ok(m.register_pusher(bad));
  ok(m.mark_online(user("alice", "t1")));
  ok(m.mark_online(user("alice", "t2")));
  ok(m.mark_online(user("bob", "b1")));
  SECTION("the failing pusher is the only one") {
    auto rep = ok(m.kick_out_notify("alice", "banned"));
    CHECK(rep.users_reached == 0);
    CHECK(rep.sessions_reached == 0);
    REQUIRE(rep.failed_pushers.size() == 1);
    CHECK(rep.failed_pushers[0].pusher == bad.id());
    CHECK(rep.failed_pushers[0].reason != caf::none);
  }
  SECTION("another pusher still delivers") {
    ok(m.register_pusher(imp));
    auto rep = ok(m.kick_out_notify("alice", "banned"));
    CHECK(rep.users_reached == 1);
    CHECK(rep.sessions_reached == 2);
    CHECK(failed_ids(rep) == std::vector<caf::actor_id>{bad.id()});
    auto msgs = ok(imp.get_messages("alice"));
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].type == message_type::kick_out());
    CHECK(msgs[0].content == "banned");
  }
  CHECK_FALSE(ok(m.is_online("alice")));
  CHECK(ok(m.get_user_sessions("alice")).empty());
  CHECK(ok(m.get_online_count()) == 1u);
  CHECK(ok(m.get_session_count()) == 1u);
  CHECK(bad.events().delivery_count() == 1);
}

TEST_CASE("message ids are generated and unique", "[push][ids]") {
  env e;
  online_manager m{e.sys};
  online_manager other{e.sys};
  in_memory_pusher imp{e.sys, 2000};
  ok(m.register_pusher(imp));
  ok(other.register_pusher(imp));
  ok(m.mark_online(user("alice", "t1")));
  ok(other.mark_online(user("bob", "t1")));
  std::vector<pending<delivery_report>> ps;
  for (int i = 0; i < 500; ++i) {
    ps.push_back(m.push_to_user("alice", "m" + std::to_string(i)));
    ps.push_back(other.push_to_user("bob", "m" + std::to_string(i)));
  }
  ps.push_back(m.broadcast("b"));
  ps.push_back(m.push_to_user("nobody", "n"));
  ps.push_back(m.kick_out_notify("nobody", "n"));
  std::set<std::string> ids;
  for (auto& p : ps) {
    auto rep = ok(p);
    CHECK_FALSE(rep.message_id.empty());
    ids.insert(rep.message_id);
  }
  CHECK(ids.size() == ps.size());
  // The stored messages carry the reported ids.
  auto msgs = ok(imp.get_messages("alice"));
  CHECK(msgs.size() == 501);
  for (auto& msg : msgs)
    CHECK(ids.count(msg.message_id) == 1);
}

TEST_CASE("many calls in flight each get their own outcome",
          "[push][report]") {
  // Thousands of calls: results come back in chunks, and the facade reuses
  // the states of calls whose pendings were dropped. Every kept pending must
  // still report its own push, never a reused state's.
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys, 10000};
  ok(m.register_pusher(imp));
  ok(m.mark_online(user("alice", "t1")));
  ok(m.mark_online(user("alice", "t2")));
  struct kept {
    pending<delivery_report> p;
    bool online;
    std::string login_id;
  };
  std::vector<kept> ks;
  constexpr int calls = 6000;
  for (int i = 0; i < calls; ++i) {
    auto online = i % 2 == 0;
    auto login_id = online ? std::string{"alice"}
                           : "offline" + std::to_string(i);
    auto p = m.push_to_user(login_id, "m" + std::to_string(i));
    if (i % 3 != 0) // dropped: its state is recycled
      continue;
    // A reused state must not look done with an earlier call's outcome.
    if (!online && p.ready()) {
      auto rep = ok(p);
      REQUIRE(rep.not_online.size() == 1);
      CHECK(rep.not_online[0] == login_id);
    }
    ks.push_back(kept{std::move(p), online, login_id});
  }
  std::set<std::string> ids;
  for (auto& k : ks) {
    auto rep = ok(k.p);
    ids.insert(rep.message_id);
    if (k.online) {
      CHECK(rep.users_reached == 1);
      CHECK(rep.sessions_reached == 2);
      CHECK(rep.not_online.empty());
    } else {
      CHECK(rep.users_reached == 0);
      REQUIRE(rep.not_online.size() == 1);
      CHECK(rep.not_online[0] == k.login_id);
    }
  }
  CHECK(ids.size() == ks.size());
  auto msgs = ok(imp.get_messages("alice"));
  REQUIRE(msgs.size() == calls / 2);
  for (int i = 0; i < calls / 2; ++i)
    CHECK(msgs[i].content == "m" + std::to_string(2 * i));
}

TEST_CASE("in_memory_pusher caps messages per user and counts drops",
          "[push][in-memory]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys, 3};
  CHECK(ok(imp.dropped()) == 0u);
  ok(m.register_pusher(imp));
  ok(m.mark_online(user("alice", "t1")));
  ok(m.mark_online(user("alice", "t2")));
  ok(m.mark_online(user("bob", "b1")));
  for (int i = 0; i < 5; ++i)
    ok(m.push_to_user("alice", "m" + std::to_string(i)));
  ok(m.push_to_user("bob", "x"));
  CHECK(contents_of(ok(imp.get_messages("alice")))
        == std::vector<std::string>{"m2", "m3", "m4"});
  CHECK(contents_of(ok(imp.get_messages("bob")))
        == std::vector<std::string>{"x"});
  CHECK(ok(imp.dropped()) == 2u);
  CHECK(ok(imp.clear_messages("alice")) == 3u);
  CHECK(ok(imp.get_messages("alice")).empty());
  CHECK(ok(imp.clear_messages("alice")) == 0u);
  CHECK(ok(imp.clear_messages("nobody")) == 0u);
  CHECK(ok(imp.get_messages("bob")).size() == 1);
  CHECK(ok(imp.dropped()) == 2u);
  ok(m.push_to_user("alice", "fresh"));
  CHECK(contents_of(ok(imp.get_messages("alice")))
        == std::vector<std::string>{"fresh"});
}

} // namespace push_tests

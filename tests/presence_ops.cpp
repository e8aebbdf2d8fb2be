// Presence changes and queries through the facade.

#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace presence_ops_tests {

using namespace presence;
using namespace test;

TEST_CASE("mark_online adds a session and the user becomes online",
          "[ops]") {
  env e;
  online_manager m{e.sys};
  REQUIRE(m.status() == caf::none);
  CHECK_FALSE(ok(m.is_online("alice")));
  CHECK(ok(m.get_online_count()) == 0u);
  CHECK(ok(m.get_session_count()) == 0u);
  CHECK(ok(m.get_online_users()).empty());
  CHECK(ok(m.get_user_sessions("alice")).empty());
  auto u = user("alice", "t1", "web", {{"ip", "10.1.1.1"}});
  auto res = ok(m.mark_online(u));
  CHECK(res.status == change_status::joined);
  CHECK(res.sessions == 1);
  CHECK(res.removed == 0);
  CHECK(ok(m.is_online("alice")));
  CHECK_FALSE(ok(m.is_online("bob")));
  CHECK(ok(m.get_online_count()) == 1u);
  CHECK(ok(m.get_session_count()) == 1u);
  CHECK(ok(m.get_online_users()) == std::vector<std::string>{"alice"});
  auto sessions = ok(m.get_user_sessions("alice"));
  REQUIRE(sessions.size() == 1);
  CHECK(sessions[0].login_id == "alice");
  CHECK(sessions[0].token == "t1");
  CHECK(sessions[0].device == "web");
  CHECK(sessions[0].metadata == metadata_map{{"ip", "10.1.1.1"}});
  CHECK(sessions[0].connect_time == u.connect_time);
  CHECK(ok(m.get_user_sessions("bob")).empty());
}

TEST_CASE("a user can be online on several devices", "[ops][multi-device]") {
  env e;
  online_manager m{e.sys};
  auto r1 = ok(m.mark_online(user("alice", "t1", "web")));
  auto r2 = ok(m.mark_online(user("alice", "t2", "ios")));
  auto r3 = ok(m.mark_online(user("alice", "t3", "android")));
  CHECK(r1.status == change_status::joined);
  CHECK(r2.status == change_status::joined);
  CHECK(r3.status == change_status::joined);
  CHECK(r1.sessions == 1);
  CHECK(r2.sessions == 2);
  CHECK(r3.sessions == 3);
  CHECK(ok(m.get_online_count()) == 1u);
  CHECK(ok(m.get_session_count()) == 3u);
  auto sessions = ok(m.get_user_sessions("alice"));
  CHECK(tokens_of(sessions) == std::vector<std::string>{"t1", "t2", "t3"});
  std::set<std::string> devices;
  for (auto& s : sessions) {
    CHECK(s.login_id == "alice");
    devices.insert(s.device);
  }
  CHECK(devices == std::set<std::string>{"web", "ios", "android"});
  // The same token under another login id is another session.
  CHECK(ok(m.mark_online(user("bob", "t1", "web"))).status
        == change_status::joined);
  CHECK(ok(m.get_online_count()) == 2u);
  CHECK(ok(m.get_session_count()) == 4u);
  CHECK(sorted(ok(m.get_online_users()))
        == std::vector<std::string>{"alice", "bob"});
  CHECK(ok(m.get_user_sessions("bob")).size() == 1);
}

TEST_CASE("mark_online of an existing session replaces its record",
          "[ops][upsert]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1", "web", {{"v", "1"}})));
  ok(m.mark_online(user("alice", "t2", "web")));
  auto replacement = user("alice", "t1", "ios", {{"v", "2"}});
  auto res = ok(m.mark_online(replacement));
  CHECK(res.status == change_status::reconnected);
  CHECK(res.sessions == 2);
  CHECK(res.removed == 0);
  CHECK(ok(m.get_online_count()) == 1u);
  CHECK(ok(m.get_session_count()) == 2u);
  auto sessions = ok(m.get_user_sessions("alice"));
  REQUIRE(sessions.size() == 2);
  auto it = std::find_if(sessions.begin(), sessions.end(),
                         [](const online_user& s) { return s.token == "t1"; });
  REQUIRE(it != sessions.end());
  CHECK(it->device == "ios");
  CHECK(it->metadata == metadata_map{{"v", "2"}});
}

TEST_CASE("mark_offline removes sessions and the last one takes the user "
          "offline",
          "[ops]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  ok(m.mark_online(user("alice", "t2", "ios")));
  ok(m.mark_online(user("bob", "b1")));
  auto r1 = ok(m.mark_offline("alice", "t1"));
  CHECK(r1.status == change_status::left);
  CHECK(r1.sessions == 1);
  CHECK(r1.removed == 1);
  CHECK(ok(m.is_online("alice")));
  CHECK(tokens_of(ok(m.get_user_sessions("alice")))
        == std::vector<std::string>{"t2"});
  CHECK(ok(m.get_session_count()) == 2u);
  auto r2 = ok(m.mark_offline("alice", "t2"));
  CHECK(r2.status == change_status::user_offline);
  CHECK(r2.sessions == 0);
  CHECK(r2.removed == 1);
  CHECK_FALSE(ok(m.is_online("alice")));
  CHECK(ok(m.get_user_sessions("alice")).empty());
  CHECK(ok(m.get_online_count()) == 1u);
  CHECK(ok(m.get_session_count()) == 1u);
  CHECK(ok(m.get_online_users()) == std::vector<std::string>{"bob"});
  // Unknown user and unknown token are results, not errors.
  auto r3 = ok(m.mark_offline("alice", "t2"));
  CHECK(r3.status == change_status::unknown_user);
  CHECK(r3.removed == 0);
  auto r4 = ok(m.mark_offline("bob", "nope"));
  CHECK(r4.status == change_status::unknown_token);
  CHECK(r4.sessions == 1);
  CHECK(r4.removed == 0);
  CHECK(ok(m.get_session_count()) == 1u);
  // A user that went offline can come back.
  CHECK(ok(m.mark_online(user("alice", "t1"))).status
        == change_status::joined);
  CHECK(ok(m.get_online_count()) == 2u);
}

TEST_CASE("mark_offline_all removes every session of a user", "[ops]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  ok(m.mark_online(user("alice", "t2", "ios")));
  ok(m.mark_online(user("alice", "t3", "android")));
  ok(m.mark_online(user("bob", "b1")));
  auto res = ok(m.mark_offline_all("alice"));
  CHECK(res.status == change_status::user_offline);
  CHECK(res.removed == 3);
  CHECK(res.sessions == 0);
  CHECK_FALSE(ok(m.is_online("alice")));
  CHECK(ok(m.get_user_sessions("alice")).empty());
  CHECK(ok(m.get_online_count()) == 1u);
  CHECK(ok(m.get_session_count()) == 1u);
  auto again = ok(m.mark_offline_all("alice"));
  CHECK(again.status == change_status::unknown_user);
  CHECK(again.removed == 0);
  CHECK(ok(m.is_online("bob")));
}

TEST_CASE("mark_offline_users removes every session of each listed user "
          "and answers once",
          "[ops]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  ok(m.mark_online(user("alice", "t2", "ios")));
  ok(m.mark_online(user("bob", "b1")));
  ok(m.mark_online(user("carol", "c1")));
  // Listed twice, or not online: counted once, or not at all.
  auto res = ok(m.mark_offline_users({"alice", "bob", "alice", "nobody"}));
  CHECK(res.status == change_status::user_offline);
  CHECK(res.removed == 3);
  CHECK(res.sessions == 0);
  // A query after the answer sees the whole list gone.
  CHECK(ok(m.get_online_users()) == std::vector<std::string>{"carol"});
  CHECK(ok(m.get_session_count()) == 1u);
  auto none = ok(m.mark_offline_users({"alice", "nobody"}));
  CHECK(none.status == change_status::unknown_user);
  CHECK(none.removed == 0);
  auto empty = ok(m.mark_offline_users({}));
  CHECK(empty.status == change_status::unknown_user);
  // One bad login id refuses the whole call before anything changes.
  CHECK_PRESENCE_ERROR(err_of(m.mark_offline_users({"carol", ""})),
                       empty_login_id);
  CHECK_PRESENCE_ERROR(err_of(m.mark_offline_users({"carol", "\xff"})),
                       invalid_utf8);
  CHECK(ok(m.is_online("carol")));
}

TEST_CASE("mark_offline_users over more users than one chunk takes them all "
          "while other calls go on",
          "[ops]") {
  env e;
  online_manager m{e.sys};
  // Three chunks and a part (libpresence/src/logout_list.hpp).
  const int n = 3 * 1024 + 17;
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    ids.push_back("u" + std::to_string(i));
    m.mark_online(user(ids.back(), "t"));
  }
  ok(m.mark_online(user("stays", "s")));
  in_memory_pusher imp{e.sys};
  ok(m.register_pusher(imp));
  auto logout = m.mark_offline_users(ids);
  std::vector<pending<delivery_report>> pushes;
  for (int i = 0; i < 100; ++i)
    pushes.push_back(m.push_to_user("stays", "p" + std::to_string(i)));
  auto res = ok(std::move(logout));
  CHECK(res.status == change_status::user_offline);
  CHECK(res.removed == static_cast<uint32_t>(n));
  for (auto& p : pushes)
    CHECK(ok(std::move(p)).sessions_reached == 1);
  CHECK(ok(m.get_online_users()) == std::vector<std::string>{"stays"});
}

TEST_CASE("calls made after a long mark_offline_users take effect after "
          "it on the listed users",
          "[ops]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  ok(m.register_pusher(imp));
  // Five chunks: the facade feeds the list to the registry chunk by chunk.
  const int n = 5 * 1024;
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    ids.push_back("u" + std::to_string(i));
    m.mark_online(user(ids.back(), "old"));
  }
  ok(m.mark_online(user("stays", "s")));
  auto last = ids.back();
  auto logout = m.mark_offline_users(ids);
  // Issued at once, before the list's chunks are answered: each runs after
  // the logout of its user.
  auto relogin = m.mark_online(user(last, "new"));
  auto push = m.push_to_user("u4000", "after the logout");
  auto push_many = m.push_to_users({"u3000", "stays"}, "to two");
  auto res = ok(logout);
  CHECK(res.status == change_status::user_offline);
  CHECK(res.removed == static_cast<uint32_t>(n));
  CHECK(ok(relogin).status == change_status::joined);
  auto sessions = ok(m.get_user_sessions(last));
  REQUIRE(sessions.size() == 1);
  CHECK(sessions[0].token == "new");
  CHECK(ok(push).not_online == std::vector<std::string>{"u4000"});
  auto many = ok(push_many);
  CHECK(many.users_reached == 1);
  CHECK(many.not_online == std::vector<std::string>{"u3000"});
  CHECK(ok(m.get_online_count()) == 2u);
  // A broadcast after a long list reaches only those who stay.
  std::vector<std::string> more;
  for (int i = 0; i < 2 * 1024 + 1; ++i) {
    more.push_back("v" + std::to_string(i));
    m.mark_online(user(more.back(), "t"));
  }
  auto second = m.mark_offline_users(more);
  auto all = m.broadcast("everyone");
  CHECK(ok(all).sessions_reached == 2); // "stays" and the new session
  CHECK(ok(second).removed == more.size());
  CHECK(ok(m.get_online_count()) == 2u);
}

TEST_CASE("update_activity refreshes last_activity of one session",
          "[ops][activity]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  ok(m.mark_online(user("alice", "t2", "ios")));
  auto find = [&](const std::string& token) {
    auto sessions = ok(m.get_user_sessions("alice"));
    for (auto& s : sessions)
      if (s.token == token)
        return s;
    FAIL("no session " << token);
    return online_user{};
  };
  auto before1 = find("t1");
  auto before2 = find("t2");
  CHECK(before1.last_activity != caf::timestamp{});
  // Make sure the clock has moved past the recorded activity (an event on the
  // clock, not a sleep-based pass condition).
  REQUIRE(wait_until(
    [&] { return caf::make_timestamp() > before1.last_activity; }));
  auto res = ok(m.update_activity("alice", "t1"));
  CHECK(res.status == change_status::refreshed);
  CHECK(res.sessions == 2);
  CHECK(res.removed == 0);
  auto after1 = find("t1");
  auto after2 = find("t2");
  CHECK(after1.last_activity > before1.last_activity);
  CHECK(after1.connect_time == before1.connect_time);
  CHECK(after1.device == before1.device);
  CHECK(after2.last_activity == before2.last_activity);
  CHECK(ok(m.update_activity("alice", "zz")).status
        == change_status::unknown_token);
  CHECK(ok(m.update_activity("carol", "t1")).status
        == change_status::unknown_user);
  CHECK(ok(m.get_session_count()) == 2u);
}

TEST_CASE("timestamps left at the epoch are set by the registry",
          "[ops][activity]") {
  env e;
  online_manager m{e.sys};
  online_user bare;
  bare.login_id = "alice";
  bare.token = "t1";
  bare.device = "web";
  auto before = caf::make_timestamp();
  ok(m.mark_online(bare));
  auto s = ok(m.get_user_sessions("alice"));
  REQUIRE(s.size() == 1);
  CHECK(s[0].connect_time >= before);
  CHECK(s[0].last_activity >= before);
  // A caller-set connect time is kept.
  online_user given = bare;
  given.token = "t2";
  given.connect_time = before - std::chrono::hours(1);
  given.last_activity = before - std::chrono::minutes(30);
  ok(m.mark_online(given));
  for (auto& x : ok(m.get_user_sessions("alice"))) {
    if (x.token == "t2") {
      CHECK(x.connect_time == given.connect_time);
      CHECK(x.last_activity == given.last_activity);
    }
  }
}

TEST_CASE("the last session's removal stops the user's actor",
          "[ops][lifecycle]") {
  env e;
  online_manager m{e.sys};
  // Let the facade spawn whatever it spawns lazily; the warm-up user stays
  // online so that no actor is still exiting when the baseline is taken.
  ok(m.mark_online(user("warmup", "t")));
  m.sync();
  auto baseline = running(e.sys);
  ok(m.mark_online(user("alice", "t1")));
  ok(m.mark_online(user("alice", "t2")));
  ok(m.mark_online(user("bob", "b1")));
  ok(m.mark_online(user("carol", "c1")));
  // One user actor per online login id.
  INFO("baseline " << baseline << ", now " << running(e.sys));
  CHECK(wait_until([&] { return running(e.sys) == baseline + 3; }));
  CHECK(ok(m.get_online_count()) == 4u);
  CHECK(ok(m.mark_offline("alice", "t1")).status == change_status::left);
  CHECK(ok(m.get_online_count()) == 4u);
  CHECK(ok(m.mark_offline("alice", "t2")).status
        == change_status::user_offline);
  CHECK(ok(m.get_online_count()) == 3u);
  CHECK(ok(m.get_user_sessions("alice")).empty());
  CHECK(wait_until([&] { return running(e.sys) == baseline + 2; }));
  CHECK(ok(m.mark_offline_all("bob")).status == change_status::user_offline);
  CHECK(ok(m.get_online_count()) == 2u);
  CHECK(wait_until([&] { return running(e.sys) == baseline + 1; }));
  ok(m.kick_out_notify("carol", "bye"));
  CHECK(ok(m.get_online_count()) == 1u);
  CHECK(wait_until([&] { return running(e.sys) == baseline; }));
}

TEST_CASE("queries see earlier writes without waiting on their pendings",
          "[ops][ordering]") {
  env e;
  online_manager m{e.sys};
  std::vector<pending<change_result>> pendings;
  for (int i = 0; i < 300; ++i) {
    auto id = "u" + std::to_string(i);
    pendings.push_back(m.mark_online(user(id, "a")));
    pendings.push_back(m.mark_online(user(id, "b")));
  }
  CHECK(ok(m.get_online_count()) == 300u);
  CHECK(ok(m.get_session_count()) == 600u);
  for (int i = 0; i < 300; i += 2)
    pendings.push_back(m.mark_offline("u" + std::to_string(i), "a"));
  CHECK(ok(m.get_session_count()) == 450u);
  CHECK(ok(m.get_online_count()) == 300u);
  for (int i = 0; i < 300; i += 3)
    pendings.push_back(m.mark_offline_all("u" + std::to_string(i)));
  CHECK(ok(m.get_online_count()) == 200u);
  CHECK_FALSE(ok(m.is_online("u0")));
  CHECK(ok(m.is_online("u1")));
  auto id = std::string{"fresh"};
  m.mark_online(user(id, "x"));
  CHECK(ok(m.is_online(id)));
  CHECK(ok(m.get_user_sessions(id)).size() == 1);
  m.update_activity(id, "x");
  m.mark_offline(id, "x");
  CHECK_FALSE(ok(m.is_online(id)));
  for (auto& p : pendings)
    CHECK(p.get());
}

TEST_CASE("sync waits for every call issued so far", "[ops][sync]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  ok(m.register_pusher(imp));
  std::vector<pending<change_result>> changes;
  std::vector<pending<delivery_report>> pushes;
  for (int i = 0; i < 200; ++i) {
    auto id = "u" + std::to_string(i % 20);
    changes.push_back(m.mark_online(user(id, "t" + std::to_string(i))));
    pushes.push_back(m.push_to_user(id, "m" + std::to_string(i)));
  }
  m.sync();
  for (auto& p : changes)
    CHECK(p.ready());
  for (auto& p : pushes)
    CHECK(p.ready());
  for (auto& p : pushes)
    CHECK(ok(p).users_reached == 1);
  size_t stored = 0;
  for (int i = 0; i < 20; ++i)
    stored += ok(imp.get_messages("u" + std::to_string(i))).size();
  CHECK(stored == 200);
}

} // namespace presence_ops_tests

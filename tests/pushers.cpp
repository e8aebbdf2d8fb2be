// Pusher behaviour: callback pusher, failing, dying and silent pushers, and
// the layout of delivery batches.

#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace pushers_tests {

using namespace presence;
using namespace test;

namespace {

struct seen_delivery {
  std::string login_id;
  std::vector<std::string> tokens;
  std::vector<std::string> devices;
  std::string content;
  message_type type;
};

struct callback_log {
  std::mutex mtx;
  std::vector<seen_delivery> items;
  std::atomic<bool> throw_next{false};
};

} // namespace

TEST_CASE("callback pusher sees every delivery", "[pushers][callback]") {
  env e;
  online_manager m{e.sys};
  auto log = std::make_shared<callback_log>();
  auto cb = spawn_callback_pusher(e.sys, [log](const delivery_view& v) {
    seen_delivery s;
    s.login_id = v.login_id;
    for (auto& t : v.sessions) {
      s.tokens.push_back(t.token);
      s.devices.push_back(t.device);
    }
    s.content = v.message.content;
    s.type = v.message.type;
    std::lock_guard<std::mutex> guard{log->mtx};
    log->items.push_back(std::move(s));
  });
  CHECK(ok(m.register_pusher(cb)).status == change_status::subscribed);
  ok(m.mark_online(user("alice", "t1", "web")));
  ok(m.mark_online(user("alice", "t2", "ios")));
  ok(m.mark_online(user("bob", "b1", "android")));
  auto rep = ok(m.push_to_user("alice", "hi"));
  CHECK(rep.users_reached == 1);
  CHECK(rep.sessions_reached == 2);
  CHECK(rep.failed_pushers.empty());
  {
    std::lock_guard<std::mutex> guard{log->mtx};
    REQUIRE(log->items.size() == 1);
    auto& s = log->items[0];
    CHECK(s.login_id == "alice");
    CHECK(sorted(s.tokens) == std::vector<std::string>{"t1", "t2"});
    CHECK(sorted(s.devices) == std::vector<std::string>{"ios", "web"});
    CHECK(s.content == "hi");
    CHECK(s.type == message_type::text());
    log->items.clear();
  }
  auto bc = ok(m.broadcast_message(make_notification("all")));
  CHECK(bc.users_reached == 2);
  CHECK(bc.sessions_reached == 3);
  {
    std::lock_guard<std::mutex> guard{log->mtx};
    REQUIRE(log->items.size() == 2);
    std::vector<std::string> ids;
    for (auto& s : log->items) {
      ids.push_back(s.login_id);
      CHECK(s.type == message_type::notification());
      CHECK(s.content == "all");
    }
    CHECK(sorted(ids) == std::vector<std::string>{"alice", "bob"});
  }
  caf::anon_send_exit(cb, caf::exit_reason::user_shutdown);
}

TEST_CASE("a throwing callback fails the batch and the pusher lives on",
          "[pushers][callback][failure]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  auto log = std::make_shared<callback_log>();
  auto cb = spawn_callback_pusher(e.sys, [log](const delivery_view& v) {
    if (log->throw_next)
      throw std::runtime_error("boom from callback");
    std::lock_guard<std::mutex> guard{log->mtx};
    log->items.push_back(seen_delivery{v.login_id, {}, {}, v.message.content,
                                       v.message.type});
  });
  ok(m.register_pusher(cb));
  ok(m.register_pusher(imp));
  ok(m.mark_online(user("alice", "t1")));
  log->throw_next = true;
  auto rep = ok(m.push_to_user("alice", "first"));
  // The in-memory pusher still delivered.
  CHECK(rep.users_reached == 1);
  REQUIRE(rep.failed_pushers.size() == 1);
  CHECK(rep.failed_pushers[0].pusher == cb.id());
  auto reason = rep.failed_pushers[0].reason;
  CHECK(reason != caf::none);
  auto text = caf::to_string(reason) + " / " + e.sys.render(reason);
  INFO("reason: " << text);
  CHECK(text.find("boom from callback") != std::string::npos);
  // Not fatal: the callback pusher is still subscribed and works.
  log->throw_next = false;
  auto rep2 = ok(m.push_to_user("alice", "second"));
  CHECK(rep2.failed_pushers.empty());
  CHECK(rep2.users_reached == 1);
  {
    std::lock_guard<std::mutex> guard{log->mtx};
    REQUIRE(log->items.size() == 1);
    CHECK(log->items[0].content == "second");
  }
  CHECK(contents_of(ok(imp.get_messages("alice")))
        == std::vector<std::string>{"first", "second"});
  caf::anon_send_exit(cb, caf::exit_reason::user_shutdown);
}

TEST_CASE("a pusher replying with an error is reported, others deliver",
          "[pushers][failure]") {
  env e;
  online_manager m{e.sys};
  test_pusher bad{e.sys, pusher_mode::fail};
  in_memory_pusher imp{e.sys};
  ok(m.register_pusher(bad));
  ok(m.register_pusher(imp));
  ok(m.mark_online(user("alice", "t1")));
  ok(m.mark_online(user("alice", "t2")));
  ok(m.mark_online(user("bob", "b1")));
  auto rep = ok(m.push_to_users({"alice", "bob"}, "x"));
  CHECK(rep.users_reached == 2);
  CHECK(rep.sessions_reached == 3);
  REQUIRE(rep.failed_pushers.size() == 1);
  CHECK(rep.failed_pushers[0].pusher == bad.id());
  auto reason = rep.failed_pushers[0].reason;
  INFO("reason: " << caf::to_string(reason));
  CHECK(reason.code() == test_pusher_error().code());
  CHECK(reason.category() == test_pusher_error().category());
  CHECK(ok(imp.get_messages("alice")).size() == 1);
  CHECK(ok(imp.get_messages("bob")).size() == 1);
  // An error reply does not unsubscribe: the next push fails on it again.
  auto rep2 = ok(m.broadcast("y"));
  CHECK(rep2.users_reached == 2);
  CHECK(failed_ids(rep2) == std::vector<caf::actor_id>{bad.id()});
  // Only failing pushers: nothing reached, the pusher is named.
  ok(m.unregister_pusher(imp));
  auto rep3 = ok(m.push_to_user("alice", "z"));
  CHECK(rep3.users_targeted == 1);
  CHECK(rep3.users_reached == 0);
  CHECK(rep3.sessions_reached == 0);
  CHECK(failed_ids(rep3) == std::vector<caf::actor_id>{bad.id()});
}

namespace {

void check_dying_pusher(pusher_mode how) {
  // A long pusher timeout: the death must be noticed, not timed out.
  env e{[](caf::actor_system_config& cfg) {
    cfg.set("presence.pusher-timeout",
            caf::timespan{std::chrono::seconds(20)});
  }};
  online_manager m{e.sys};
  test_pusher mortal{e.sys, how};
  down_watcher watcher{e.sys, mortal.handle()};
  test_pusher bad{e.sys, pusher_mode::fail};
  in_memory_pusher imp{e.sys};
  ok(m.register_pusher(mortal));
  ok(m.register_pusher(bad));
  ok(m.register_pusher(imp));
  ok(m.mark_online(user("alice", "t1")));
  ok(m.mark_online(user("bob", "b1")));
  auto rep = ok(m.push_to_users({"alice", "bob"}, "x"));
  CHECK(rep.users_reached == 2);
  CHECK(rep.sessions_reached == 2);
  std::vector<caf::actor_id> expected{mortal.id(), bad.id()};
  std::sort(expected.begin(), expected.end());
  CHECK(failed_ids(rep) == expected);
  for (auto& f : rep.failed_pushers) {
    INFO("pusher " << f.pusher << ": " << caf::to_string(f.reason));
    CHECK(f.reason != caf::none);
    if (f.pusher == mortal.id())
      CHECK_FALSE(f.reason == caf::sec::request_timeout);
  }
  REQUIRE(watcher.await());
  CHECK(mortal.events().batch_count() == 1);
  // Later pushes no longer list the dead pusher.
  auto rep2 = ok(m.push_to_user("alice", "y"));
  CHECK(rep2.users_reached == 1);
  CHECK(failed_ids(rep2) == std::vector<caf::actor_id>{bad.id()});
  auto rep3 = ok(m.broadcast("z"));
  CHECK(rep3.users_reached == 2);
  CHECK(failed_ids(rep3) == std::vector<caf::actor_id>{bad.id()});
  CHECK(ok(m.unregister_pusher(mortal)).status
        == change_status::unknown_pusher);
  CHECK(contents_of(ok(imp.get_messages("alice")))
        == std::vector<std::string>{"x", "y", "z"});
}

} // namespace

TEST_CASE("a pusher that dies holding a batch fails it and is unsubscribed",
          "[pushers][failure][death]") {
  check_dying_pusher(pusher_mode::die);
}

TEST_CASE("a pusher that crashes in its handler fails the batch and is "
          "unsubscribed",
          "[pushers][failure][death]") {
  check_dying_pusher(pusher_mode::crash);
}

TEST_CASE("a pusher killed while idle is unsubscribed automatically",
          "[pushers][death]") {
  env e{[](caf::actor_system_config& cfg) {
    cfg.set("presence.pusher-timeout",
            caf::timespan{std::chrono::seconds(20)});
  }};
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  test_pusher victim{e.sys, pusher_mode::confirm};
  down_watcher watcher{e.sys, victim.handle()};
  ok(m.register_pusher(victim));
  ok(m.register_pusher(imp));
  ok(m.mark_online(user("alice", "t1")));
  CHECK(ok(m.push_to_user("alice", "before")).failed_pushers.empty());
  CHECK(victim.events().delivery_count() == 1);
  caf::anon_send_exit(victim.handle(), caf::exit_reason::kill);
  REQUIRE(watcher.await());
  // The registry's down message is queued before anything sent from here on
  // (see down_watcher).
  auto rep = ok(m.push_to_user("alice", "after"));
  CHECK(rep.users_reached == 1);
  CHECK(rep.failed_pushers.empty());
  CHECK(ok(m.unregister_pusher(victim)).status
        == change_status::unknown_pusher);
}

TEST_CASE("a pusher that never answers times out", "[pushers][timeout]") {
  env e{[](caf::actor_system_config& cfg) {
    cfg.set("presence.pusher-timeout",
            caf::timespan{std::chrono::milliseconds(200)});
  }};
  online_manager m{e.sys};
  test_pusher mute{e.sys, pusher_mode::silent};
  in_memory_pusher imp{e.sys};
  ok(m.register_pusher(mute));
  ok(m.register_pusher(imp));
  ok(m.mark_online(user("alice", "t1")));
  ok(m.mark_online(user("alice", "t2")));
  auto p = m.push_to_user("alice", "anyone there?");
  auto rep = ok(p); // Waiting on the pending is the event.
  CHECK(rep.users_reached == 1);
  CHECK(rep.sessions_reached == 2);
  REQUIRE(rep.failed_pushers.size() == 1);
  CHECK(rep.failed_pushers[0].pusher == mute.id());
  INFO("reason: " << caf::to_string(rep.failed_pushers[0].reason));
  CHECK(rep.failed_pushers[0].reason == caf::sec::request_timeout);
  CHECK(mute.events().delivery_count() == 1);
  // With only the silent pusher, nothing is reached.
  ok(m.unregister_pusher(imp));
  auto rep2 = ok(m.push_to_user("alice", "still?"));
  CHECK(rep2.users_reached == 0);
  CHECK(failed_ids(rep2) == std::vector<caf::actor_id>{mute.id()});
}

TEST_CASE("delivery batches follow presence.batch-size and are consistent",
          "[pushers][batch]") {
  env e{[](caf::actor_system_config& cfg) {
    cfg.set("presence.batch-size", 2);
  }};
  online_manager m{e.sys};
  test_pusher rec{e.sys, pusher_mode::confirm};
  ok(m.register_pusher(rec));
  std::map<std::string, std::set<std::string>> expected;
  for (int i = 0; i < 7; ++i) {
    auto id = "u" + std::to_string(i);
    for (int j = 0; j <= i % 3; ++j) {
      auto tok = id + "-t" + std::to_string(j);
      ok(m.mark_online(user(id, tok, j == 0 ? "web" : "ios")));
      expected[id].insert(tok);
    }
  }
  auto rep = ok(m.broadcast("hello"));
  CHECK(rep.users_targeted == 7);
  CHECK(rep.users_reached == 7);
  size_t total_sessions = 0;
  for (auto& kvp : expected)
    total_sessions += kvp.second.size();
  CHECK(rep.sessions_reached == total_sessions);
  auto batches = rec.events().snapshot();
  CHECK(batches.size() >= 4);
  std::map<std::string, std::set<std::string>> seen;
  std::set<uint64_t> batch_ids;
  for (auto& b : batches) {
    batch_ids.insert(b.id);
    CHECK(b.deliveries.size() <= 2);
    size_t sessions_in_batch = 0;
    for (auto& d : b.deliveries) {
      REQUIRE(d.message < b.messages.size());
      REQUIRE(size_t{d.first_session} + d.session_count <= b.sessions.size());
      CHECK(b.message_of(d).content == "hello");
      CHECK(b.message_of(d).message_id == rep.message_id);
      auto range = b.sessions_of(d);
      CHECK(range.size() == d.session_count);
      sessions_in_batch += range.size();
      CHECK(seen.count(d.login_id) == 0); // each user once
      for (auto& s : range) {
        CHECK(s.token.rfind(d.login_id + "-t", 0) == 0);
        seen[d.login_id].insert(s.token);
      }
    }
    CHECK(b.session_count() == sessions_in_batch);
  }
  CHECK(batch_ids.size() == batches.size());
  CHECK(seen == expected);
}

} // namespace pushers_tests

// The facade's ordering guarantee across threads, concurrent use of one
// manager, the bounded window and sync().

#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace facade_ordering_tests {

using namespace presence;
using namespace test;

namespace {

/// A two-party handshake: one side posts a step number, the other waits for
/// it.
struct baton {
  std::mutex mtx;
  std::condition_variable cv;
  int step = 0;

  void post(int x) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      step = x;
    }
    cv.notify_all();
  }

  bool await(int x) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, std::chrono::seconds(20),
                       [&] { return step >= x; });
  }
};

} // namespace

TEST_CASE("a write on one thread is visible to a query on another",
          "[ordering]") {
  env e;
  online_manager m{e.sys};
  constexpr int rounds = 200;
  baton to_b;
  baton to_a;
  std::vector<std::string> failures; // written by B only
  std::thread b{[&] {
    for (int i = 0; i < rounds; ++i) {
      auto id = "u" + std::to_string(i);
      if (!to_b.await(2 * i + 1)) {
        failures.push_back("timeout waiting for A");
        return;
      }
      auto on = m.is_online(id);
      if (!on || !*on)
        failures.push_back(id + " not online after A's mark_online");
      auto sessions = m.get_user_sessions(id);
      if (!sessions || sessions->size() != 2)
        failures.push_back(id + " sessions missing");
      auto count = m.get_online_count();
      if (!count || *count != 1)
        failures.push_back(id + " wrong online count");
      to_a.post(2 * i + 1);
      if (!to_b.await(2 * i + 2)) {
        failures.push_back("timeout waiting for A");
        return;
      }
      on = m.is_online(id);
      if (!on || *on)
        failures.push_back(id + " still online after A's kick");
      count = m.get_online_count();
      if (!count || *count != 0)
        failures.push_back(id + " wrong online count after offline");
      to_a.post(2 * i + 2);
    }
  }};
  bool a_ok = true;
  for (int i = 0; i < rounds && a_ok; ++i) {
    auto id = "u" + std::to_string(i);
    // Pendings are dropped: the guarantee must not depend on waiting.
    m.mark_online(user(id, "t1"));
    m.mark_online(user(id, "t2", "ios"));
    to_b.post(2 * i + 1);
    a_ok = to_a.await(2 * i + 1);
    if (i % 2 == 0)
      m.mark_offline_all(id);
    else
      m.kick_out_notify(id, "bye");
    to_b.post(2 * i + 2);
    a_ok = a_ok && to_a.await(2 * i + 2);
  }
  b.join();
  CHECK(a_ok);
  INFO("first failure: " << (failures.empty() ? "" : failures.front()));
  CHECK(failures.empty());
}

TEST_CASE("several threads share one manager with an exact end state",
          "[ordering][concurrency]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  ok(m.register_pusher(imp));
  constexpr int n_threads = 4;
  constexpr int users_per_thread = 50;
  constexpr int pushes_per_user = 3;
  auto uid = [](int k, int i) {
    return "t" + std::to_string(k) + "-u" + std::to_string(i);
  };
  std::atomic<bool> writers_done{false};
  std::atomic<int> reader_errors{0};
  std::atomic<int> reader_queries{0};
  std::vector<std::vector<std::string>> problems(n_threads); // one per writer
  auto describe = [](const caf::expected<change_result>& r) -> std::string {
    if (!r)
      return caf::to_string(r.error());
    return to_string(r->status) + " sessions=" + std::to_string(r->sessions)
           + " removed=" + std::to_string(r->removed);
  };
  auto writer = [&](int k) {
    auto& out = problems[k];
    std::vector<pending<change_result>> joins;
    std::vector<pending<change_result>> leaves;
    std::vector<pending<change_result>> refreshes;
    std::vector<pending<delivery_report>> pushes;
    for (int i = 0; i < users_per_thread; ++i) {
      joins.push_back(m.mark_online(user(uid(k, i), "a", "web")));
      joins.push_back(m.mark_online(user(uid(k, i), "b", "ios")));
    }
    for (int i = 0; i < users_per_thread; ++i)
      for (int j = 0; j < pushes_per_user; ++j)
        pushes.push_back(m.push_to_user(uid(k, i), "m" + std::to_string(j)));
    for (int i = 0; i < users_per_thread; i += 2)
      leaves.push_back(m.mark_offline(uid(k, i), "b"));
    for (int i = 0; i < users_per_thread; i += 5)
      refreshes.push_back(m.update_activity(uid(k, i), "a"));
    for (size_t n = 0; n < joins.size(); ++n) {
      auto r = joins[n].get();
      // Sessions "a" then "b": the second join sees two sessions.
      if (!r || r->status != change_status::joined
          || r->sessions != (n % 2 == 0 ? 1u : 2u))
        out.push_back("mark_online " + uid(k, static_cast<int>(n / 2)) + ": "
                      + describe(r));
    }
    for (size_t n = 0; n < pushes.size(); ++n) {
      auto r = pushes[n].get();
      // Each thread's pushes were issued before its mark_offline calls.
      if (!r || r->users_reached != 1 || r->sessions_reached != 2
          || !r->failed_pushers.empty())
        out.push_back("push to " + uid(k, static_cast<int>(n / 3)) + ": "
                      + (r ? "reached " + std::to_string(r->users_reached)
                               + "/" + std::to_string(r->sessions_reached)
                           : caf::to_string(r.error())));
    }
    for (size_t n = 0; n < leaves.size(); ++n) {
      auto r = leaves[n].get();
      if (!r || r->status != change_status::left || r->sessions != 1
          || r->removed != 1)
        out.push_back("mark_offline " + uid(k, static_cast<int>(n * 2))
                      + " b: " + describe(r));
    }
    for (size_t n = 0; n < refreshes.size(); ++n) {
      auto r = refreshes[n].get();
      if (!r || r->status != change_status::refreshed)
        out.push_back("update_activity " + uid(k, static_cast<int>(n * 5))
                      + " a: " + describe(r));
    }
  };
  std::thread reader{[&] {
    while (!writers_done) {
      auto c = m.get_online_count();
      auto s = m.get_session_count();
      auto u = m.get_online_users();
      if (!c || !s || !u || *c > size_t{n_threads * users_per_thread})
        ++reader_errors;
      ++reader_queries;
    }
  }};
  std::vector<std::thread> writers;
  for (int k = 0; k < n_threads; ++k)
    writers.emplace_back(writer, k);
  for (auto& t : writers)
    t.join();
  writers_done = true;
  reader.join();
  m.sync();
  std::vector<std::string> all_problems;
  for (auto& xs : problems)
    all_problems.insert(all_problems.end(), xs.begin(), xs.end());
  for (size_t n = 0; n < all_problems.size() && n < 10; ++n)
    UNSCOPED_INFO(all_problems[n]);
  CHECK(all_problems.empty());
  CHECK(reader_errors == 0);
  CHECK(reader_queries > 0);
  const size_t users = n_threads * users_per_thread;
  CHECK(ok(m.get_online_count()) == users);
  CHECK(ok(m.get_session_count()) == users * 2 - users / 2);
  CHECK(ok(m.get_online_users()).size() == users);
  size_t stored = 0;
  for (int k = 0; k < n_threads; ++k)
    for (int i = 0; i < users_per_thread; ++i) {
      auto msgs = ok(imp.get_messages(uid(k, i)));
      stored += msgs.size();
      auto contents = contents_of(msgs);
      std::sort(contents.begin(), contents.end());
      if (contents != std::vector<std::string>{"m0", "m1", "m2"})
        FAIL_CHECK("unexpected messages for " << uid(k, i));
      auto sessions = ok(m.get_user_sessions(uid(k, i)));
      if (sessions.size() != (i % 2 == 0 ? 1u : 2u))
        FAIL_CHECK(uid(k, i) << " has " << sessions.size() << " sessions: "
                             << ::Catch::Detail::stringify(tokens_of(sessions)));
    }
  CHECK(stored == users * pushes_per_user);
  CHECK(ok(imp.dropped()) == 0u);
  auto rep = ok(m.broadcast("end"));
  CHECK(rep.users_targeted == users);
  CHECK(rep.users_reached == users);
  CHECK(rep.sessions_reached == users * 2 - users / 2);
}

namespace {

/// A facade window of `n` calls, and a pusher timeout long enough that a
/// held batch never times out during a test.
config_tweak window_of(size_t n) {
  return [n](caf::actor_system_config& cfg) {
    cfg.set("presence.window", static_cast<int64_t>(n));
    cfg.set("presence.pusher-timeout", caf::timespan{std::chrono::seconds(30)});
  };
}

} // namespace

TEST_CASE("a full window blocks callers until pushes are confirmed",
          "[ordering][window]") {
  constexpr size_t window = 4;
  constexpr int total = 12;
  env e{window_of(window)};
  online_manager m{e.sys};
  test_pusher gate{e.sys, pusher_mode::hold};
  ok(m.register_pusher(gate));
  ok(m.mark_online(user("alice", "t1")));
  std::atomic<size_t> issued{0};
  std::vector<pending<delivery_report>> pendings; // owned by the caller thread
  std::thread caller{[&] {
    for (int i = 0; i < total; ++i) {
      pendings.push_back(m.push_to_user("alice", "m" + std::to_string(i)));
      ++issued;
    }
  }};
  // Event: the pusher holds exactly `window` deliveries and the caller has
  // issued `window` calls.
  REQUIRE(gate.events().wait_deliveries(window));
  REQUIRE(wait_until([&] { return issued.load() >= window; }));
  // Bounded observation: with the window full and nothing confirmed, the
  // caller cannot get further. A broken window shows up as progress.
  CHECK_FALSE(wait_until([&] { return issued.load() > window; },
                         std::chrono::milliseconds(300)));
  CHECK(issued.load() == window);
  CHECK(gate.events().delivery_count() == window);
  // Release: the caller resumes and every call completes.
  gate.release();
  caller.join();
  CHECK(issued.load() == size_t{total});
  REQUIRE(pendings.size() == size_t{total});
  for (auto& p : pendings) {
    auto rep = ok(p);
    CHECK(rep.users_reached == 1);
    CHECK(rep.failed_pushers.empty());
  }
  CHECK(gate.events().delivery_count() == size_t{total});
}

TEST_CASE("a full window blocks writers on other threads too",
          "[ordering][window]") {
  constexpr size_t window = 4;
  env e{window_of(window)};
  online_manager m{e.sys};
  test_pusher gate{e.sys, pusher_mode::hold};
  ok(m.register_pusher(gate));
  ok(m.mark_online(user("alice", "t1")));
  std::vector<pending<delivery_report>> held;
  for (size_t i = 0; i < window; ++i)
    held.push_back(m.push_to_user("alice", "h" + std::to_string(i)));
  REQUIRE(gate.events().wait_deliveries(window));
  for (auto& p : held)
    CHECK_FALSE(p.ready());
  std::atomic<bool> returned{false};
  pending<change_result> late;
  std::thread other{[&] {
    late = m.mark_online(user("bob", "b1"));
    returned = true;
  }};
  CHECK_FALSE(wait_until([&] { return returned.load(); },
                         std::chrono::milliseconds(300)));
  gate.release();
  other.join();
  CHECK(returned.load());
  CHECK(ok(late).status == change_status::joined);
  for (auto& p : held)
    CHECK(ok(p).users_reached == 1);
  CHECK(ok(m.is_online("bob")));
}

TEST_CASE("sync blocks until unconfirmed pushes complete", "[ordering][sync]") {
  env e{[](caf::actor_system_config& cfg) {
    cfg.set("presence.pusher-timeout",
            caf::timespan{std::chrono::seconds(30)});
  }};
  online_manager m{e.sys};
  test_pusher gate{e.sys, pusher_mode::hold};
  ok(m.register_pusher(gate));
  ok(m.mark_online(user("alice", "t1")));
  auto p1 = m.push_to_user("alice", "a");
  auto p2 = m.broadcast("b");
  REQUIRE(gate.events().wait_deliveries(2));
  CHECK_FALSE(p1.ready());
  CHECK_FALSE(p2.ready());
  CHECK_FALSE(p1.wait_for(std::chrono::milliseconds(50)));
  std::atomic<bool> synced{false};
  std::thread t{[&] {
    m.sync();
    synced = true;
  }};
  CHECK_FALSE(wait_until([&] { return synced.load(); },
                         std::chrono::milliseconds(300)));
  gate.release();
  t.join();
  CHECK(synced.load());
  CHECK(p1.ready());
  CHECK(p2.ready());
  CHECK(ok(p1).users_reached == 1);
  CHECK(ok(p2).users_reached == 1);
}

TEST_CASE("each thread's calls apply in issue order under contention",
          "[ordering][concurrency]") {
  env e;
  online_manager m{e.sys};
  constexpr int n_threads = 4;
  constexpr int users_per_thread = 300;
  std::vector<std::vector<std::string>> problems(n_threads);
  auto writer = [&](int k) {
    struct step {
      pending<change_result> on_a, on_b, off_a, off_b;
      pending<delivery_report> push;
    };
    std::vector<step> steps;
    steps.reserve(users_per_thread);
    for (int i = 0; i < users_per_thread; ++i) {
      auto id = "k" + std::to_string(k) + "-" + std::to_string(i);
      step s;
      s.on_a = m.mark_online(user(id, "a"));
      s.on_b = m.mark_online(user(id, "b"));
      s.off_a = m.mark_offline(id, "a");
      s.push = m.push_to_user(id, "x");
      s.off_b = m.mark_offline(id, "b");
      steps.push_back(std::move(s));
    }
    auto expect = [&](int i, const char* what,
                      const pending<change_result>& p, change_status status,
                      uint32_t sessions) {
      auto r = p.get();
      if (!r || r->status != status || r->sessions != sessions)
        problems[k].push_back(
          "k" + std::to_string(k) + "-" + std::to_string(i) + " " + what
          + ": "
          + (r ? to_string(r->status) + " sessions="
                   + std::to_string(r->sessions)
               : caf::to_string(r.error())));
    };
    for (int i = 0; i < users_per_thread; ++i) {
      auto& s = steps[static_cast<size_t>(i)];
      expect(i, "online a", s.on_a, change_status::joined, 1);
      expect(i, "online b", s.on_b, change_status::joined, 2);
      expect(i, "offline a", s.off_a, change_status::left, 1);
      expect(i, "offline b", s.off_b, change_status::user_offline, 0);
      auto r = s.push.get();
      if (!r || r->users_targeted != 1 || !r->not_online.empty())
        problems[k].push_back("k" + std::to_string(k) + "-"
                              + std::to_string(i)
                              + " push did not find the user online");
    }
  };
  std::vector<std::thread> threads;
  for (int k = 0; k < n_threads; ++k)
    threads.emplace_back(writer, k);
  for (auto& t : threads)
    t.join();
  std::vector<std::string> all;
  for (auto& xs : problems)
    all.insert(all.end(), xs.begin(), xs.end());
  for (size_t n = 0; n < all.size() && n < 10; ++n)
    UNSCOPED_INFO(all[n]);
  CHECK(all.empty());
  CHECK(ok(m.get_online_count()) == 0u);
  CHECK(ok(m.get_session_count()) == 0u);
}

} // namespace facade_ordering_tests

// A blocking facade call inside an actor fails at once with
// blocking_call_in_actor instead of deadlocking the scheduler; calls that do
// not block stay legal there, and blocking outside actors is unaffected.
//
// No test here may hang: actors only record outcomes, the test thread waits
// for them with generous timeouts that fail the test.

#include "test_util.hpp"
#include "spawn_fn.hpp"

// A namespace per test file: the tests build in unity batches.
namespace blocking_in_actor_tests {

using namespace presence;
using namespace test;

namespace {

constexpr size_t workers = 4;

using run_atom = caf::atom_constant<caf::atom("tRun")>;

/// Outcomes recorded by actors (or other threads) for the test thread.
struct outcomes {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<caf::error> errors;
  size_t values = 0;
  /// Handlers that have started; see all_inside.
  std::atomic<size_t> inside{0};

  void add(caf::error err) {
    std::lock_guard<std::mutex> guard{mtx};
    if (err)
      errors.push_back(std::move(err));
    else
      ++values;
    cv.notify_all();
  }

  bool await(size_t n, caf::timespan timeout = std::chrono::seconds(30)) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, timeout,
                       [&] { return errors.size() + values >= n; });
  }

  /// Lets `n` handlers occupy a worker each before any of them goes on, as
  /// in the deadlock this guards against. Bounded: a scheduler with more
  /// workers than expected must not hang the test either.
  void all_inside(size_t n) {
    ++inside;
    wait_until([&] { return inside.load() >= n; }, std::chrono::seconds(5));
  }
};

template <class T>
caf::error error_of(const caf::expected<T>& x) {
  return x ? caf::error{} : x.error();
}

/// An actor that runs `f` (on its worker thread) for every run_atom.
caf::actor spawn_runner(caf::actor_system& sys, std::function<void()> f) {
  return test::spawn_fn(sys, [f](caf::event_based_actor*) -> caf::behavior {
    return {[f](run_atom) { f(); }};
  });
}

void set_policy(caf::actor_system_config& cfg,
                caf::atom_value policy = caf::atom("spinning")) {
  cfg.set("scheduler.max-threads", workers);
  cfg.set("scheduler.policy", policy);
}

} // namespace

TEST_CASE("get() inside as many actors as there are workers fails at once",
          "[facade][actor][misuse]") {
  // presence's own scheduler, then CAF's two thread pools.
  auto policy = GENERATE(caf::atom("spinning"), caf::atom("sharing"),
                         caf::atom("stealing"));
  INFO("scheduler.policy=" << caf::to_string(policy));
  env e{[&](caf::actor_system_config& cfg) { set_policy(cfg, policy); }};
  online_manager m{e.sys};
  test_pusher pusher{e.sys, pusher_mode::confirm};
  ok(m.register_pusher(pusher));
  ok(m.mark_online(user("alice", "t1")));
  auto out = std::make_shared<outcomes>();
  std::vector<caf::actor> actors;
  for (size_t i = 0; i < workers; ++i)
    actors.push_back(spawn_runner(e.sys, [&m, out] {
      out->all_inside(workers);
      auto p = m.push_to_user("alice", "from an actor");
      out->add(error_of(p.get()));
    }));
  for (auto& a : actors)
    caf::anon_send(a, run_atom::value);
  REQUIRE(out->await(workers));
  {
    std::lock_guard<std::mutex> guard{out->mtx};
    CHECK(out->values == 0u);
    REQUIRE(out->errors.size() == workers);
    for (auto& err : out->errors)
      CHECK_PRESENCE_ERROR(err, blocking_call_in_actor);
  }
  CHECK(m.blocking_calls_refused() == workers);
  // The pushes were issued (only the waits were refused), and the registry
  // keeps answering other threads.
  CHECK(pusher.events().wait_deliveries(workers));
  CHECK(ok(m.push_to_user("alice", "from the test")).sessions_reached == 1u);
  CHECK(ok(m.get_online_count()) == 1u);
  for (auto& a : actors)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE("every blocking facade call inside an actor fails at once",
          "[facade][actor][misuse]") {
  auto policy = GENERATE(caf::atom("spinning"), caf::atom("sharing"),
                         caf::atom("stealing"));
  INFO("scheduler.policy=" << caf::to_string(policy));
  env e{[&](caf::actor_system_config& cfg) { set_policy(cfg, policy); }};
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  auto ready = m.mark_online(user("alice", "t2"));
  REQUIRE(ok(ready).status == change_status::joined);
  auto out = std::make_shared<outcomes>();
  bool wait_for_result = true;
  auto a = spawn_runner(e.sys, [&] {
    // Refused whether or not anything is in flight, and even for a pending
    // whose outcome is already known.
    out->add(error_of(ready.get()));
    out->add(ready.wait());
    out->add(error_of(m.is_online("alice")));
    out->add(error_of(m.get_online_count()));
    out->add(error_of(m.get_session_count()));
    out->add(error_of(m.get_online_users()));
    out->add(error_of(m.get_user_sessions("alice")));
    out->add(error_of(m.stats()));
    out->add(m.sync());
    wait_for_result = ready.wait_for(std::chrono::seconds(30));
    // Invalid input still fails with its own error: it never waits.
    out->add(error_of(m.mark_online(user("", "t")).get()));
    out->add(error_of(m.is_online("")));
  });
  caf::anon_send(a, run_atom::value);
  constexpr size_t calls = 11;
  REQUIRE(out->await(calls));
  std::lock_guard<std::mutex> guard{out->mtx};
  REQUIRE(out->errors.size() == calls);
  for (size_t i = 0; i < calls - 2; ++i) {
    INFO("call " << i);
    CHECK_PRESENCE_ERROR(out->errors[i], blocking_call_in_actor);
  }
  CHECK_PRESENCE_ERROR(out->errors[calls - 2], empty_login_id);
  CHECK_PRESENCE_ERROR(out->errors[calls - 1], empty_login_id);
  // wait_for never waits inside an actor: it reports whether the outcome is
  // known, which it is.
  CHECK(wait_for_result);
  CHECK(m.blocking_calls_refused() == calls - 2);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE("calls that do not block stay legal inside an actor; a full window "
          "fails them",
          "[facade][actor][misuse]") {
  env e{[](caf::actor_system_config& cfg) {
    set_policy(cfg);
    cfg.set("presence.window", size_t{2});
  }};
  online_manager m{e.sys};
  test_pusher held{e.sys, pusher_mode::hold};
  ok(m.register_pusher(held));
  ok(m.mark_online(user("alice", "t1")));
  auto out = std::make_shared<outcomes>();
  auto a = spawn_runner(e.sys, [&] {
    // Two calls fill the window (the held pusher answers neither), the
    // third would have to wait for room: it fails instead, and is not sent.
    std::vector<pending<delivery_report>> ps;
    for (auto i = 0; i < 3; ++i)
      ps.push_back(m.push_to_user("alice", "m" + std::to_string(i)));
    for (auto& p : ps)
      out->add(p.ready() ? error_of(p.get()) : caf::error{});
  });
  caf::anon_send(a, run_atom::value);
  REQUIRE(out->await(3));
  {
    std::lock_guard<std::mutex> guard{out->mtx};
    CHECK(out->values == 2u); // issued, pendings dropped
    REQUIRE(out->errors.size() == 1u);
    CHECK_PRESENCE_ERROR(out->errors[0], blocking_call_in_actor);
  }
  CHECK(m.blocking_calls_refused() == 1u);
  // The two dropped calls complete; the refused one was never sent.
  REQUIRE(held.events().wait_deliveries(2));
  held.release();
  REQUIRE(m.sync() == caf::error{});
  CHECK(ok(m.stats()).pushes == 2u);
  std::vector<push_message> msgs;
  for (auto& b : held.events().snapshot())
    msgs.insert(msgs.end(), b.messages.begin(), b.messages.end());
  CHECK(contents_of(msgs) == std::vector<std::string>{"m0", "m1"});
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE("blocking stays legal on threads that are not scheduler workers",
          "[facade][actor][misuse]") {
  env e{[](caf::actor_system_config& cfg) { set_policy(cfg); }};
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  auto out = std::make_shared<outcomes>();
  // A detached actor owns its thread.
  auto d = test::spawn_fn<caf::detached>(e.sys,
    [&m, out](caf::event_based_actor*) -> caf::behavior {
      return {[&m, out](run_atom) {
        out->add(error_of(m.get_online_count()));
        out->add(error_of(m.mark_online(user("bob", "b1")).get()));
      }};
    });
  caf::anon_send(d, run_atom::value);
  // A thread started from a handler inherits the worker's name, not its job.
  std::thread helper;
  auto a = spawn_runner(e.sys, [&] {
    auto t = std::thread{[&m, out] {
      out->add(error_of(m.mark_online(user("carol", "c1")).get()));
      out->add(error_of(m.is_online("carol")));
    }};
    {
      std::lock_guard<std::mutex> guard{out->mtx};
      helper = std::move(t);
    }
    out->add(caf::error{});
  });
  caf::anon_send(a, run_atom::value);
  REQUIRE(out->await(5));
  {
    std::lock_guard<std::mutex> guard{out->mtx};
    helper.join();
    for (auto& err : out->errors)
      FAIL_CHECK("unexpected error: " << render(err));
    CHECK(out->values == 5u);
  }
  CHECK(m.blocking_calls_refused() == 0u);
  CHECK(ok(m.get_online_count()) == 3u);
  caf::anon_send_exit(d, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE("a manager destroyed inside an actor fails its calls in flight",
          "[facade][actor][misuse]") {
  env e{[](caf::actor_system_config& cfg) { set_policy(cfg); }};
  auto m = std::make_shared<std::unique_ptr<online_manager>>(
    std::make_unique<online_manager>(e.sys));
  test_pusher held{e.sys, pusher_mode::hold};
  ok((*m)->register_pusher(held));
  ok((*m)->mark_online(user("alice", "t1")));
  auto p = (*m)->push_to_user("alice", "held");
  REQUIRE(held.events().wait_deliveries(1));
  auto out = std::make_shared<outcomes>();
  auto a = spawn_runner(e.sys, [m, out] {
    m->reset(); // must not wait for the held push
    out->add(caf::error{});
  });
  caf::anon_send(a, run_atom::value);
  REQUIRE(out->await(1));
  REQUIRE(p.wait_for(std::chrono::seconds(30)));
  CHECK_PRESENCE_ERROR(err_of(p), registry_down);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

} // namespace blocking_in_actor_tests

// When the registry stops, every typed request it still holds gets an answer:
// a push waiting on its pushers, a login forwarded to a user actor, a call
// parked behind one. Requests are made with caf::infinite, so a request left
// unanswered would hang; the tests wait on the answers (events) with a
// generous timeout and fail on it.

#include "test_util.hpp"
#include "spawn_fn.hpp"

// A namespace per test file: the tests build in unity batches.
namespace registry_stop_tests {

using namespace presence;
using namespace test;

namespace {

/// Counts the answers to typed requests made by an event-based actor.
struct answers {
  std::mutex mtx;
  std::condition_variable cv;
  size_t values = 0;
  std::vector<caf::error> errors;

  template <class T>
  void add(caf::expected<T> x) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      if (x)
        ++values;
      else
        errors.push_back(std::move(x.error()));
    }
    cv.notify_all();
  }

  bool wait(size_t n, caf::timespan timeout = std::chrono::seconds(30)) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, timeout,
                       [&] { return values + errors.size() >= n; });
  }

  size_t registry_down_errors() {
    std::lock_guard<std::mutex> guard{mtx};
    return static_cast<size_t>(
      std::count_if(errors.begin(), errors.end(), [](const caf::error& err) {
        return is(err, error::registry_down);
      }));
  }
};

/// Sends `n` requests made by `make(i)` to `reg` with no timeout and records
/// each answer as a `T` or an error.
template <class T, class MakeMessage>
void ask_all(caf::actor_system& sys, registry_actor reg, size_t n,
             std::shared_ptr<answers> out, MakeMessage make) {
  test::spawn_fn(sys, [=](caf::event_based_actor* self) {
    auto dest = caf::actor_cast<caf::actor>(reg);
    for (size_t i = 0; i < n; ++i)
      self->request(dest, caf::infinite, make(i))
        .then([=](T& x) { out->add(caf::expected<T>{std::move(x)}); },
              [=](caf::error& err) {
                out->add(caf::expected<T>{std::move(err)});
              });
  });
}

void check_push_answered_on_stop(caf::exit_reason how) {
  env e{[](caf::actor_system_config& cfg) {
    // A pusher timeout far beyond the test's own: only the stop can answer.
    cfg.set("presence.pusher-timeout", caf::timespan{std::chrono::hours(1)});
  }};
  auto reg = ok(spawn_registry(e.sys));
  caf::scoped_actor self{e.sys};
  test_pusher mute{e.sys, pusher_mode::silent};
  ok(ask<change_result>(self, reg, subscribe_atom::value, mute.handle()));
  ok(ask<change_result>(self, reg, mark_online_atom::value,
                        user("alice", "t1")));
  auto out = std::make_shared<answers>();
  ask_all<delivery_report>(e.sys, reg, 1, out, [](size_t) {
    return caf::make_message(push_atom::value, std::string{"alice"},
                             make_text_message("anyone?"));
  });
  // The push is with the pusher: the registry holds its request.
  REQUIRE(mute.events().wait_deliveries(1));
  caf::anon_send_exit(reg, how);
  REQUIRE(out->wait(1));
  CHECK(out->values == 0);
  CHECK(out->registry_down_errors() == 1);
}

} // namespace

TEST_CASE("a push waiting on a silent pusher gets registry_down when the "
          "registry shuts down",
          "[registry][stop]") {
  check_push_answered_on_stop(caf::exit_reason::user_shutdown);
}

TEST_CASE("a push waiting on a silent pusher gets registry_down when the "
          "registry is killed",
          "[registry][stop]") {
  check_push_answered_on_stop(caf::exit_reason::kill);
}

TEST_CASE("every request in flight gets an answer when the registry stops",
          "[registry][stop]") {
  // Pipelined logins on one user: one forwarded to its actor, the rest
  // parked behind it, some still in the registry's mailbox when it stops.
  env e;
  auto reg = ok(spawn_registry(e.sys));
  caf::scoped_actor self{e.sys};
  ok(ask<change_result>(self, reg, mark_online_atom::value,
                        user("alice", "t0")));
  constexpr size_t n = 5000;
  auto out = std::make_shared<answers>();
  ask_all<change_result>(e.sys, reg, n, out, [](size_t i) {
    return caf::make_message(mark_online_atom::value,
                             user("alice", "t" + std::to_string(i + 1)));
  });
  // Stop once some calls were answered, so that others are parked.
  REQUIRE(wait_until([&] {
    std::lock_guard<std::mutex> guard{out->mtx};
    return out->values > 0;
  }));
  caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
  REQUIRE(out->wait(n));
  std::lock_guard<std::mutex> guard{out->mtx};
  CHECK(out->values + out->errors.size() == n);
}

} // namespace registry_stop_tests

// The actor clock of presence's schedulers (scheduler/lean_clock.hpp):
// timeouts, request timeouts and delayed messages still work under every
// policy, and only actors that set a timeout cost a cancellation when they
// terminate.

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "scheduler/lean_clock.hpp"
#include "presence/config.hpp"
#include "spawn_fn.hpp"

// A namespace per test file: the tests build in unity batches.
namespace lean_clock_tests {

using namespace std::chrono_literals;

namespace {

presence::detail::lean_clock* lean_clock_of(caf::actor_system& sys) {
  return dynamic_cast<presence::detail::lean_clock*>(&sys.clock());
}

/// Waits up to 10 s for `pred`.
template <class Pred>
bool eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

} // namespace

TEST_CASE("every policy but testing runs the lean clock, and timeouts work",
          "[scheduler][clock]") {
  auto policy = GENERATE(std::string{"spinning"}, std::string{"stealing"},
                         std::string{"sharing"});
  INFO("policy " << policy);
  presence::config cfg;
  cfg.set("scheduler.policy", caf::atom_from_string(policy));
  caf::actor_system sys{cfg};
  auto clock = lean_clock_of(sys);
  REQUIRE(clock != nullptr);
  auto timed_before = clock->timed_actors();
  // A receive timeout fires and its actor, once gone, is forgotten.
  std::promise<void> fired;
  auto idle = test::spawn_fn(sys, [&fired](caf::event_based_actor* self)
                                   -> caf::behavior {
    return {
      [](int) {},
      caf::after(10ms) >> [self, &fired] {
        fired.set_value();
        self->quit();
      },
    };
  });
  CHECK(fired.get_future().wait_for(10s) == std::future_status::ready);
  idle = nullptr;
  // A request to an actor that never answers times out.
  // (A void handler would answer with an empty message; a dropped promise
  // answers nothing in CAF 0.17.)
  auto silent = test::spawn_fn(sys, [](caf::event_based_actor* self)
                                     -> caf::behavior {
    return {[self](int) { self->make_response_promise(); }};
  });
  {
    caf::scoped_actor self{sys};
    bool timed_out = false;
    self->request(silent, 20ms, 42)
      .receive([](caf::message&) {},
               [&](caf::error& err) {
                 timed_out = err == caf::sec::request_timeout;
               });
    CHECK(timed_out);
  }
  caf::anon_send_exit(silent, caf::exit_reason::user_shutdown);
  silent = nullptr;
  // A delayed message arrives (not tied to the sender's timeouts).
  {
    caf::scoped_actor self{sys};
    self->delayed_send(self, 5ms, 7);
    int got = 0;
    self->receive([&](int x) { got = x; }, caf::after(10s) >> [] {});
    CHECK(got == 7);
  }
  CHECK(eventually([&] { return clock->timed_actors() == timed_before; }));
  // Actors without timeouts never enter the clock's books.
  for (int i = 0; i < 100; ++i)
    test::spawn_fn(sys, []() -> caf::behavior { return {[](int) {}}; });
  CHECK(clock->timed_actors() == timed_before);
}

TEST_CASE("the test coordinator keeps its own clock", "[scheduler][clock]") {
  presence::config cfg;
  cfg.set("scheduler.policy", caf::atom("testing"));
  caf::actor_system sys{cfg};
  CHECK(lean_clock_of(sys) == nullptr);
}

} // namespace lean_clock_tests

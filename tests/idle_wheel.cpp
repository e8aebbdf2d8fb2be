// idle_wheel: a plain class, no actor system.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "registry/idle_wheel.hpp"

// A namespace per test file: the tests build in unity batches.
namespace idle_wheel_tests {

using namespace std::chrono_literals;
using presence::detail::idle_check;
using presence::detail::idle_wheel;
using tp = idle_wheel::time_point;

namespace {

std::vector<std::string> ids_of(const std::vector<idle_check>& xs) {
  std::vector<std::string> result;
  for (auto& x : xs)
    result.push_back(x.login_id);
  return result;
}

} // namespace

TEST_CASE("the granularity is 1/64 of the timeout, within 1 ms and 1 s",
          "[idle_wheel]") {
  CHECK(idle_wheel::granularity_for(64s) == caf::timespan{1s});
  CHECK(idle_wheel::granularity_for(5min) == caf::timespan{1s});
  CHECK(idle_wheel::granularity_for(6400ms) == caf::timespan{100ms});
  CHECK(idle_wheel::granularity_for(10ms) == caf::timespan{1ms});
}

TEST_CASE("a check runs at most one slot after it is due, never before",
          "[idle_wheel]") {
  idle_wheel w{100ms};
  // Due at 250 ms: its slot ends at 300 ms.
  auto tick = w.file(idle_check{"a", 1}, tp{250ms});
  REQUIRE(tick);
  CHECK(*tick == tp{300ms});
  CHECK(w.take_due(tp{250ms}).empty());
  CHECK(w.take_due(tp{299ms}).empty());
  CHECK(ids_of(w.take_due(tp{300ms})) == std::vector<std::string>{"a"});
  CHECK(w.empty());
}

TEST_CASE("one tick per slot, checks taken earliest slot first",
          "[idle_wheel]") {
  idle_wheel w{100ms};
  CHECK(w.file(idle_check{"b", 2}, tp{510ms}));
  CHECK_FALSE(w.file(idle_check{"c", 3}, tp{590ms})); // same slot
  CHECK(w.file(idle_check{"a", 1}, tp{150ms}));
  CHECK(w.file(idle_check{"d", 4}, tp{2s}));
  CHECK(ids_of(w.take_due(tp{650ms}))
        == std::vector<std::string>{"a", "b", "c"});
  CHECK_FALSE(w.empty());
  // A slot emptied and filed again needs a tick again.
  CHECK(w.file(idle_check{"e", 5}, tp{510ms}));
  CHECK(ids_of(w.take_due(tp{3s})) == std::vector<std::string>{"e", "d"});
}

} // namespace idle_wheel_tests

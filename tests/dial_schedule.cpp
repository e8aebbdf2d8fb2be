// When the cluster actor dials which address (cluster/dial_schedule.hpp):
// each address once at a time, again after a failure with a growing delay,
// never while linked. The delays are jittered, so the checks are on order
// and bounds; the clock is a value the test passes, never the real one.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "cluster/dial_schedule.hpp"

// A namespace per test file: the tests build in unity batches.
namespace dial_schedule_tests {

using namespace presence::cluster;
using namespace std::chrono_literals;

namespace {

using time_point = dial_schedule::time_point;

/// A fixed origin: the schedule never reads the clock itself.
const time_point t0 = time_point{} + 1000h;

std::vector<std::string> hosts(const std::vector<dial_target>& xs) {
  std::vector<std::string> out;
  for (auto& x : xs)
    out.push_back(x.host + ":" + std::to_string(x.port));
  return out;
}

} // namespace

TEST_CASE("an address is due at its time, once", "[cluster][dial_schedule]") {
  dial_schedule s{42};
  CHECK(s.next_due() == time_point::max());
  CHECK(s.take_due(t0).empty());
  s.add("b", 4000, t0 + 1s);
  s.add("c", 4000, t0);
  CHECK(s.size() == 2);
  CHECK(s.next_due() == t0);
  auto due = s.take_due(t0);
  CHECK(hosts(due) == std::vector<std::string>{"c:4000"});
  // In flight: not due again, and not counted for next_due.
  CHECK(s.take_due(t0 + 1h).size() == 1);
  CHECK(s.take_due(t0 + 2h).empty());
  CHECK(s.next_due() == time_point::max());
}

TEST_CASE("attempts get distinct ids and are known while in flight",
          "[cluster][dial_schedule]") {
  dial_schedule s{42};
  s.add("b", 4000, t0);
  s.add("b", 4001, t0);
  s.add("c", 4000, t0);
  auto due = s.take_due(t0);
  REQUIRE(due.size() == 3);
  CHECK(due[0].attempt != due[1].attempt);
  CHECK(due[1].attempt != due[2].attempt);
  CHECK(due[0].attempt != due[2].attempt);
  for (auto& t : due) {
    auto f = s.in_flight(t.attempt);
    REQUIRE(f != nullptr);
    CHECK(f->host == t.host);
    CHECK(f->port == t.port);
    CHECK(f->attempt == t.attempt);
  }
  CHECK(s.in_flight(0) == nullptr);
  CHECK(s.in_flight(due.back().attempt + 100) == nullptr);
  s.failed(due[0].attempt, t0);
  CHECK(s.in_flight(due[0].attempt) == nullptr);
  s.linked(due[1].attempt);
  CHECK(s.in_flight(due[1].attempt) == nullptr);
  CHECK(s.in_flight(due[2].attempt) != nullptr);
}

TEST_CASE("adding an address keeps the sooner time, and is ignored while it "
          "is dialed",
          "[cluster][dial_schedule]") {
  dial_schedule s{42};
  s.add("b", 4000, t0 + 10s);
  s.add("b", 4000, t0 + 20s);
  CHECK(s.size() == 1);
  CHECK(s.next_due() == t0 + 10s);
  s.add("b", 4000, t0 + 5s);
  CHECK(s.next_due() == t0 + 5s);
  auto due = s.take_due(t0 + 5s);
  REQUIRE(due.size() == 1);
  // In flight: another add (gossip naming it again) changes nothing.
  s.add("b", 4000, t0);
  CHECK(s.size() == 1);
  CHECK(s.take_due(t0 + 1h).empty());
  CHECK(s.next_due() == time_point::max());
  CHECK(s.in_flight(due[0].attempt) != nullptr);
}

TEST_CASE("a failed attempt is due again after a delay that grows to 5 s",
          "[cluster][dial_schedule]") {
  dial_schedule s{42};
  s.add("b", 4000, t0);
  auto now = t0;
  std::vector<dial_schedule::clock::duration> delays;
  uint64_t last_attempt = 0;
  for (int i = 0; i < 12; ++i) {
    auto due = s.take_due(now);
    REQUIRE(due.size() == 1);
    CHECK(due[0].attempt > last_attempt);
    last_attempt = due[0].attempt;
    s.failed(due[0].attempt, now);
    auto next = s.next_due();
    REQUIRE(next > now);
    // Not due a moment before its time.
    CHECK(s.take_due(next - 1ns).empty());
    delays.push_back(next - now);
    now = next;
  }
  // 100 ms doubling, each cut by at most 20%: the first within
  // [80, 100] ms, each one longer than the one before until the cap, and
  // none above 5 s.
  CHECK(delays[0] >= 80ms);
  CHECK(delays[0] <= 100ms);
  for (size_t i = 1; i < 7; ++i)
    CHECK(delays[i] > delays[i - 1]);
  for (auto d : delays)
    CHECK(d <= 5s);
  // At the cap, each within [4, 5] s.
  for (size_t i = 7; i < delays.size(); ++i)
    CHECK(delays[i] >= 4s);
}

TEST_CASE("a failure of one address does not delay another",
          "[cluster][dial_schedule]") {
  dial_schedule s{42};
  s.add("b", 4000, t0);
  auto b = s.take_due(t0);
  s.failed(b[0].attempt, t0);
  s.add("c", 4000, t0);
  CHECK(s.next_due() == t0);
  CHECK(hosts(s.take_due(t0)) == std::vector<std::string>{"c:4000"});
}

TEST_CASE("a linked address is removed until it is added again",
          "[cluster][dial_schedule]") {
  dial_schedule s{42};
  s.add("b", 4000, t0);
  auto due = s.take_due(t0);
  REQUIRE(due.size() == 1);
  s.linked(due[0].attempt);
  CHECK(s.size() == 0);
  CHECK(s.next_due() == time_point::max());
  CHECK(s.take_due(t0 + 1h).empty());
  // The outcome of an attempt that is over changes nothing.
  s.failed(due[0].attempt, t0);
  s.linked(due[0].attempt);
  CHECK(s.size() == 0);
  // The link was lost: dialed again, and a new attempt starts over at the
  // first delay.
  s.add("b", 4000, t0 + 1s);
  auto again = s.take_due(t0 + 1s);
  REQUIRE(again.size() == 1);
  CHECK(again[0].attempt != due[0].attempt);
  s.failed(again[0].attempt, t0 + 1s);
  CHECK(s.next_due() > t0 + 1s);
  CHECK(s.next_due() <= t0 + 1s + 100ms);
}

TEST_CASE("a stale attempt's outcome does not touch a newer one",
          "[cluster][dial_schedule]") {
  dial_schedule s{42};
  s.add("b", 4000, t0);
  auto first = s.take_due(t0);
  s.failed(first[0].attempt, t0);
  auto second = s.take_due(t0 + 1s);
  REQUIRE(second.size() == 1);
  // The first attempt's outcome arrives late, twice: ignored.
  s.failed(first[0].attempt, t0 + 1s);
  s.linked(first[0].attempt);
  CHECK(s.size() == 1);
  CHECK(s.in_flight(second[0].attempt) != nullptr);
  CHECK(s.take_due(t0 + 1h).empty());
}

} // namespace dial_schedule_tests

// The cluster actor's table of pushes routed to their owners
// (cluster/routed_pushes.hpp): an answer counts only from the node the push
// went to and only once; a lost node fails its pushes, a deadline the ones
// that missed it. The clock is a value the test passes.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "cluster/routed_pushes.hpp"

// A namespace per test file: the tests build in unity batches.
namespace routed_pushes_tests {

using namespace presence::cluster;
using namespace std::chrono_literals;

namespace {

using time_point = routed_pushes::time_point;

const time_point t0 = time_point{} + 1000h;

std::vector<uint64_t> tickets(const std::vector<routed_pushes::entry>& xs) {
  std::vector<uint64_t> out;
  for (auto& x : xs)
    out.push_back(x.ticket);
  return out;
}

} // namespace

TEST_CASE("an answer is taken once, and only from the node asked",
          "[cluster][routed_pushes]") {
  routed_pushes rs;
  auto a = rs.add("b", 41, t0 + 1s);
  auto b = rs.add("c", 42, t0 + 1s);
  CHECK(a != 0);
  CHECK(a != b);
  CHECK(rs.size() == 2);
  routed_pushes::entry e;
  CHECK_FALSE(rs.take("c", a, e));
  CHECK_FALSE(rs.take("b", 999, e));
  REQUIRE(rs.take("b", a, e));
  CHECK(e.node == "b");
  CHECK(e.ticket == 41);
  CHECK_FALSE(rs.take("b", a, e));
  CHECK(rs.open("b") == 0);
  CHECK(rs.open("c") == 1);
}

TEST_CASE("a lost node fails its pushes, oldest first, and no others",
          "[cluster][routed_pushes]") {
  routed_pushes rs;
  rs.add("b", 1, t0 + 1s);
  auto other = rs.add("c", 2, t0 + 1s);
  rs.add("b", 3, t0 + 1s);
  CHECK(tickets(rs.take_all("b")) == std::vector<uint64_t>{1, 3});
  CHECK(rs.take_all("b").empty());
  CHECK(rs.size() == 1);
  routed_pushes::entry e;
  CHECK(rs.take("c", other, e));
}

TEST_CASE("pushes fail at their deadline, not before",
          "[cluster][routed_pushes]") {
  routed_pushes rs;
  rs.add("b", 1, t0 + 1s);
  auto answered = rs.add("b", 2, t0 + 2s);
  rs.add("c", 3, t0 + 3s);
  CHECK(rs.take_expired(t0).empty());
  CHECK(tickets(rs.take_expired(t0 + 1s)) == std::vector<uint64_t>{1});
  routed_pushes::entry e;
  REQUIRE(rs.take("b", answered, e));
  CHECK(rs.take_expired(t0 + 2s).empty());
  CHECK(tickets(rs.take_expired(t0 + 10s)) == std::vector<uint64_t>{3});
  CHECK(rs.size() == 0);
  // An answer after its deadline changes nothing.
  CHECK_FALSE(rs.take("c", 3, e));
}

} // namespace routed_pushes_tests

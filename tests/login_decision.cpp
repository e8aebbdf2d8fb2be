// The login policy's decision (registry/login_decision.hpp) over plain
// seats: which sessions a new one replaces, or why it is refused.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "registry/login_decision.hpp"
#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace login_decision_tests {

using namespace presence;
using namespace presence::detail;

namespace {

struct seat {
  std::string device;
  int time;
};

/// Runs decide_login over `xs` (ties broken by position) for a new session
/// on `device`; the victims' positions, or the error.
struct outcome {
  caf::error err;
  std::vector<size_t> victims;
};

outcome decide(const login_policy& p, const std::vector<seat>& xs,
               const std::string& device) {
  std::vector<bool> victim;
  outcome r;
  r.err = decide_login(
    p, xs.size(),
    [&](size_t k) -> const std::string& { return xs[k].device; },
    [&](size_t k) { return xs[k].time; },
    [](size_t a, size_t b) { return a < b; }, device, victim);
  for (size_t k = 0; k < victim.size(); ++k)
    if (victim[k])
      r.victims.push_back(k);
  return r;
}

using idx = std::vector<size_t>;

} // namespace

TEST_CASE("login decision: under the limit nothing needs a look",
          "[login-decision]") {
  CHECK(admits_at_once(login_policy{}, 100));
  CHECK(admits_at_once(login_policy{3, false, limit_action::reject}, 2));
  CHECK(!admits_at_once(login_policy{3, false, limit_action::reject}, 3));
  CHECK(!admits_at_once(login_policy{0, true, limit_action::replace}, 0));
}

TEST_CASE("login decision: replace picks the oldest, ties by order",
          "[login-decision]") {
  login_policy p{2, false, limit_action::replace};
  auto r = decide(p, {{"web", 5}, {"ios", 1}, {"web", 3}}, "web");
  CHECK(!r.err);
  CHECK(r.victims == idx{1, 2});
  r = decide(p, {{"web", 1}, {"ios", 1}}, "web");
  CHECK(r.victims == idx{0});
}

TEST_CASE("login decision: one per device replaces that device first",
          "[login-decision]") {
  login_policy p{2, true, limit_action::replace};
  auto r = decide(p, {{"web", 1}, {"ios", 9}}, "ios");
  CHECK(r.victims == idx{1});
  r = decide(p, {{"web", 1}, {"ios", 9}, {"mac", 5}}, "ios");
  CHECK(r.victims == idx{0, 1});
}

TEST_CASE("login decision: reject marks nothing and says why",
          "[login-decision]") {
  auto r = decide(login_policy{1, false, limit_action::reject}, {{"web", 1}},
                  "ios");
  CHECK_PRESENCE_ERROR(r.err, too_many_sessions);
  CHECK(r.victims.empty());
  r = decide(login_policy{0, true, limit_action::reject},
             {{"web", 1}, {"ios", 2}}, "ios");
  CHECK_PRESENCE_ERROR(r.err, device_taken);
  CHECK(r.victims.empty());
}

} // namespace login_decision_tests

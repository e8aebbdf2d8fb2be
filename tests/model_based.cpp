// Model-based test: seeded random sequences of facade and typed-registry calls
// against the reference model of README.md's semantics (tests/model/). A
// failure prints its seed and a shrunk step list that replays it.
//
// PRESENCE_MODEL_SEEDS="1,2,3" runs those seeds instead of the fixed set;
// PRESENCE_MODEL_SECONDS=N runs random seeds for N seconds (scripts/model.sh);
// PRESENCE_MODEL_STEPS sets the steps per seed.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/model/runner.hpp"

// A namespace per test file: the tests build in unity batches.
namespace model_based_tests {

using namespace presence::model;

namespace {

size_t steps_per_seed() {
  if (auto x = std::getenv("PRESENCE_MODEL_STEPS"))
    return std::stoul(x);
  return 150;
}

/// Runs one seed; on failure, shrinks it and reports the replayable list.
bool check_seed(uint64_t seed, size_t n) {
  auto steps = generate(seed, n);
  auto f = run_steps(steps);
  if (!f)
    return true;
  std::ostringstream out;
  out << "model-based test failed: seed " << seed << ", " << n
      << " steps, after step " << f->step << " (" << to_string(steps[f->step])
      << "): " << f->what << "\nshrunk sequence:";
  auto small = shrink(steps);
  for (size_t i = 0; i < small.size(); ++i)
    out << "\n  " << i << ": " << to_string(small[i]);
  if (auto g = run_steps(small))
    out << "\nshrunk failure: " << g->what;
  UNSCOPED_INFO(out.str());
  std::cerr << out.str() << std::endl;
  return false;
}

} // namespace

TEST_CASE("model-based: random call sequences agree with the reference model",
          "[model]") {
  std::vector<uint64_t> seeds;
  if (auto x = std::getenv("PRESENCE_MODEL_SEEDS")) {
    std::stringstream in{x};
    for (std::string s; std::getline(in, s, ',');)
      seeds.push_back(std::stoull(s));
  }
  auto n = steps_per_seed();
  if (auto x = std::getenv("PRESENCE_MODEL_SECONDS")) {
    // Random seeds for a while, each printed so a failure can be replayed.
    auto until = std::chrono::steady_clock::now()
                 + std::chrono::seconds(std::stoul(x));
    std::random_device rd;
    size_t runs = 0;
    while (std::chrono::steady_clock::now() < until) {
      uint64_t seed = (uint64_t{rd()} << 32) | rd();
      std::cout << "seed " << seed << std::endl;
      ++runs;
      REQUIRE(check_seed(seed, n));
    }
    std::cout << runs << " seeds of " << n << " steps passed" << std::endl;
    return;
  }
  if (seeds.empty())
    for (uint64_t s = 1; s <= 16; ++s)
      seeds.push_back(s);
  for (auto seed : seeds)
    CHECK(check_seed(seed, n));
}

TEST_CASE("model-based: the shrinker keeps only the steps a failure needs",
          "[model]") {
  // A stand-in for the library: "fails" once a kick_out_device follows a
  // mark_online with a policy, so exactly those two steps must remain.
  auto fake = [](const std::vector<step>& xs) -> std::optional<failure> {
    bool policy_seen = false;
    for (size_t i = 0; i < xs.size(); ++i) {
      if (xs[i].kind == step_kind::mark_online_policy)
        policy_seen = true;
      else if (xs[i].kind == step_kind::kick_device && policy_seen)
        return failure{i, "fake"};
    }
    return std::nullopt;
  };
  auto steps = generate(3, 200);
  REQUIRE(fake(steps));
  auto small = shrink(steps, fake);
  REQUIRE(small.size() == 2);
  CHECK(small[0].kind == step_kind::mark_online_policy);
  CHECK(small[1].kind == step_kind::kick_device);
  // A passing sequence stays as it is.
  auto none = [](const std::vector<step>&) -> std::optional<failure> {
    return std::nullopt;
  };
  CHECK(shrink(steps, none).size() == steps.size());
}

} // namespace model_based_tests

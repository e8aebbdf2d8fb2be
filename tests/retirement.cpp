// Retiring user actors (docs/design.md, "Retiring user actors"): every actor
// of a departed user is destroyed, under presence's own scheduler policy and
// under both of CAF's, also while the registry never goes idle.

#include "test_util.hpp"

#include "memory/block_pool.hpp"
#include "actors/user_actor.hpp"

// A namespace per test file: the tests build in unity batches.
namespace retirement_tests {

using namespace test;

namespace {

/// Live user actors of the process (one pool block each, freed when the
/// actor is destroyed).
size_t live_user_actors() {
  return presence::detail::user_actor_pool().blocks_in_use();
}

/// "" keeps presence's own policy (spinning).
config_tweak with_policy(std::string policy) {
  return [policy](caf::actor_system_config& cfg) {
    if (policy == "stealing")
      cfg.set("scheduler.policy", caf::atom("stealing"));
    else if (policy == "sharing")
      cfg.set("scheduler.policy", caf::atom("sharing"));
  };
}

std::string policy_name(const std::string& policy) {
  return policy.empty() ? "spinning (presence's default)" : policy;
}

} // namespace

TEST_CASE("a mass logout destroys every user actor under every policy",
          "[retirement]") {
  auto policy = GENERATE(std::string{}, std::string{"stealing"}, std::string{"sharing"});
  INFO("policy " << policy_name(policy));
  auto before = live_user_actors();
  {
    env e{with_policy(policy)};
    presence::online_manager mgr{e.sys};
    // More than one hand-over chunk, and users with two sessions.
    constexpr size_t n = 10000;
    for (size_t i = 0; i < n; ++i)
      mgr.mark_online(user("u" + std::to_string(i), "t" + std::to_string(i)));
    for (size_t i = 0; i < n; i += 10)
      mgr.mark_online(user("u" + std::to_string(i), "x" + std::to_string(i)));
    CHECK(ok(mgr.get_online_count()) == n);
    CHECK(live_user_actors() == before + n);
    // The registry and the facade's helpers run too.
    REQUIRE(running(e.sys) >= n);
    auto base = running(e.sys) - n;
    // Half through mark_offline_all, half session by session.
    for (size_t i = 0; i < n / 2; ++i)
      mgr.mark_offline_all("u" + std::to_string(i));
    for (size_t i = n / 2; i < n; ++i) {
      mgr.mark_offline("u" + std::to_string(i), "t" + std::to_string(i));
      if (i % 10 == 0)
        mgr.mark_offline("u" + std::to_string(i), "x" + std::to_string(i));
    }
    CHECK(ok(mgr.get_online_count()) == 0);
    INFO("live user actors " << live_user_actors() << ", before " << before);
    CHECK(wait_until([&] { return live_user_actors() == before; }));
    CHECK(wait_until([&] { return running(e.sys) == base; }));
  }
  CHECK(live_user_actors() == before);
}

TEST_CASE("user actors are retired while the registry stays busy",
          "[retirement]") {
  // Pushes keep arriving until the retired actors are gone: retirement must
  // not wait for the registry to go idle.
  auto policy = GENERATE(std::string{}, std::string{"stealing"});
  INFO("policy " << policy_name(policy));
  auto before = live_user_actors();
  {
    env e{with_policy(policy)};
    presence::online_manager mgr{e.sys};
    constexpr size_t n = 6000;
    constexpr size_t stay = 100;
    for (size_t i = 0; i < n; ++i)
      mgr.mark_online(user("u" + std::to_string(i), "t" + std::to_string(i)));
    for (size_t i = stay; i < n; ++i)
      mgr.mark_offline_all("u" + std::to_string(i));
    CHECK(ok(mgr.get_online_count()) == stay);
    size_t k = 0;
    auto gone = wait_until([&] {
      for (int j = 0; j < 50; ++j, ++k)
        mgr.push_to_user("u" + std::to_string(k % stay), "hi");
      return live_user_actors() == before + stay;
    });
    INFO("live user actors " << live_user_actors() << ", expected "
                             << before + stay);
    CHECK(gone);
    mgr.sync();
  }
  CHECK(live_user_actors() == before);
}

TEST_CASE("users back online during retirement keep their new actors",
          "[retirement]") {
  auto before = live_user_actors();
  {
    env e;
    presence::online_manager mgr{e.sys};
    constexpr size_t n = 5000;
    for (int round = 0; round < 3; ++round) {
      for (size_t i = 0; i < n; ++i)
        mgr.mark_online(user("u" + std::to_string(i),
                             "t" + std::to_string(round)));
      for (size_t i = 0; i < n; i += 2)
        mgr.mark_offline_all("u" + std::to_string(i));
    }
    // Odd users kept one actor throughout; even users left three times.
    CHECK(ok(mgr.get_online_count()) == n / 2);
    CHECK(ok(mgr.get_session_count()) == 3 * (n / 2));
    CHECK(wait_until([&] { return live_user_actors() == before + n / 2; }));
    for (size_t i = 1; i < n; i += 2)
      CHECK(ok(mgr.get_user_sessions("u" + std::to_string(i))).size() == 3);
  }
  CHECK(live_user_actors() == before);
}

TEST_CASE("user actors still online when the registry stops are destroyed",
          "[retirement]") {
  auto policy = GENERATE(std::string{}, std::string{"stealing"});
  INFO("policy " << policy_name(policy));
  auto before = live_user_actors();
  {
    env e{with_policy(policy)};
    {
      presence::online_manager mgr{e.sys};
      constexpr size_t n = 5000;
      for (size_t i = 0; i < n; ++i)
        mgr.mark_online(user("u" + std::to_string(i), "t"));
      // Some retiring, not yet handed over, when the registry stops.
      for (size_t i = 0; i < 100; ++i)
        mgr.mark_offline_all("u" + std::to_string(i));
      CHECK(ok(mgr.get_online_count()) == n - 100);
      CHECK(live_user_actors() >= before + n - 100);
    } // ~online_manager stops the registry
    CHECK(wait_until([&] { return live_user_actors() == before; }));
  }
  CHECK(live_user_actors() == before);
}

} // namespace retirement_tests

// The cluster on CAF's io test DSL: nodes in one thread on simulated time and
// a simulated network (tests/dsl_net.hpp), so joins, partitions and heals
// run in a repeatable order and seeded random schedules replay exactly.
//
// What the DSL cannot drive, and where it is tested instead:
// - The real probe and dialer (cluster/connect_probe.*, cluster/dialer.*):
//   the probe connects real sockets, and the dialer runs CAF's blocking
//   remote_actor on a thread of its own. Here the dial function (the cluster
//   actor's seam) asks the middleman actor without blocking, after a probe
//   behind the same address_probe interface that answers from the partition
//   table. The real ones: tests/cluster_endpoint.cpp and tests/processes/.
// - TLS: CAF's OpenSSL manager works on real sockets only.
// - start_cluster and its supervisor (they publish with blocking calls): the
//   harness spawns, publishes and starts the cluster actor itself.
// - Heartbeats: 0 in DSL runs (the DSL's fixture forces it), so a partition
//   here is a closed connection; silent failures are tested across
//   processes only.

#define CAF_TEST_NO_MAIN
#include <caf/test/unit_test_impl.hpp>

#include "dsl_net.hpp"

#include <map>
#include <random>
#include <sstream>
#include <utility>

using test::dsl::network;

namespace {

std::vector<std::string> names(std::initializer_list<const char*> xs) {
  return {xs.begin(), xs.end()};
}

/// Joins all `n` nodes, each seeded with node 0.
void join_all(network& net) {
  net.join(0, {});
  for (size_t i = 1; i < net.size(); ++i)
    net.join(i, {0});
}

} // namespace

TEST_CASE("DSL: three nodes join and converge", "[cluster][dsl]") {
  network net{3};
  join_all(net);
  REQUIRE(net.login(0, "ann", "a0"));
  REQUIRE(net.login(1, "bob", "b1"));
  REQUIRE(net.login(2, "cat", "c2"));
  REQUIRE(net.settle([&] { return net.converged(); }));
  for (size_t i = 0; i < 3; ++i) {
    INFO("node n" << i);
    CHECK(net.up_peers(i).size() == 2);
    CHECK(net.owners_of(i, "ann") == names({"n0"}));
    CHECK(net.owners_of(i, "bob") == names({"n1"}));
    CHECK(net.owners_of(i, "cat") == names({"n2"}));
  }
  // A logout replicates too.
  REQUIRE(net.logout(1, "bob", "b1"));
  REQUIRE(net.settle([&] { return net.converged(); }));
  for (size_t i = 0; i < 3; ++i)
    CHECK(net.owners_of(i, "bob").empty());
}

TEST_CASE("DSL: a partitioned node's sessions leave the others' views and "
          "come back after the heal",
          "[cluster][dsl]") {
  network net{3};
  join_all(net);
  REQUIRE(net.login(0, "ann", "a0"));
  REQUIRE(net.login(1, "bob", "b1"));
  REQUIRE(net.login(2, "cat", "c2"));
  REQUIRE(net.settle([&] { return net.converged(); }));
  net.cut(0, 1);
  net.cut(0, 2);
  // Both sides see their connections close at once: no timer needed.
  CHECK(net.owners_of(1, "ann").empty());
  CHECK(net.owners_of(2, "ann").empty());
  CHECK(net.owners_of(0, "bob").empty());
  CHECK(net.owners_of(0, "cat").empty());
  CHECK(net.up_peers(0).empty());
  CHECK(net.up_peers(1) == names({"n2"}));
  // The two sides go on: changes on each stay on its side.
  REQUIRE(net.login(0, "dan", "d0"));
  REQUIRE(net.logout(2, "cat", "c2"));
  REQUIRE(net.settle([&] {
    return net.digest(1) == net.digest(2) && net.owners_of(1, "cat").empty();
  }));
  CHECK(net.owners_of(1, "dan").empty());
  CHECK(net.owners_of(0, "cat").empty());
  // Redials stay refused while cut: many ticks change nothing.
  for (int i = 0; i < 20; ++i)
    net.tick();
  CHECK(net.up_peers(0).empty());
  net.heal_all();
  REQUIRE(net.settle([&] { return net.converged(); }));
  for (size_t i = 0; i < 3; ++i) {
    INFO("node n" << i);
    CHECK(net.owners_of(i, "ann") == names({"n0"}));
    CHECK(net.owners_of(i, "bob") == names({"n1"}));
    CHECK(net.owners_of(i, "cat").empty());
    CHECK(net.owners_of(i, "dan") == names({"n0"}));
  }
}

namespace {

/// A seeded random schedule over `nodes` nodes: joins, leaves, cuts, heals,
/// logins and logouts, with a few ticks between steps. Returns the steps it
/// took (printed when the end state is wrong).
struct schedule {
  explicit schedule(uint32_t seed, size_t nodes) : rng(seed), net(nodes) {
  }

  size_t pick(size_t n) {
    return static_cast<size_t>(rng() % n);
  }

  /// Two different nodes.
  std::pair<size_t, size_t> pick_pair() {
    auto i = pick(net.size());
    return {i, (i + 1 + pick(net.size() - 1)) % net.size()};
  }

  void step() {
    std::vector<size_t> in, out;
    for (size_t i = 0; i < net.size(); ++i)
      (net.at(i).cluster ? in : out).push_back(i);
    switch (pick(6)) {
      case 0: // join
        if (!out.empty()) {
          auto i = out[pick(out.size())];
          log << "join n" << i << "; ";
          net.join(i, others(i));
          break;
        }
        [[fallthrough]];
      case 1: // leave
        if (in.size() > 1) {
          auto i = in[pick(in.size())];
          log << "leave n" << i << "; ";
          net.leave(i);
          break;
        }
        [[fallthrough]];
      case 2: { // cut
        auto [i, j] = pick_pair();
        log << "cut n" << i << "-n" << j << "; ";
        net.cut(i, j);
        break;
      }
      case 3: { // heal
        auto [i, j] = pick_pair();
        log << "heal n" << i << "-n" << j << "; ";
        net.heal(i, j);
        break;
      }
      case 4: { // login
        auto i = pick(net.size());
        auto login = "u" + std::to_string(pick(5));
        auto token = "t" + std::to_string(++tokens);
        log << "login " << login << "/" << token << "@n" << i << "; ";
        REQUIRE(net.login(i, login, token));
        sessions[{login, token}] = i;
        break;
      }
      default: { // logout, on the owner
        if (sessions.empty())
          break;
        auto k = std::next(sessions.begin(), pick(sessions.size()));
        log << "logout " << k->first.first << "/" << k->first.second << "@n"
            << k->second << "; ";
        REQUIRE(net.logout(k->second, k->first.first, k->first.second));
        sessions.erase(k);
      }
    }
    for (auto n = pick(4); n > 0; --n)
      net.tick();
  }

  /// Every node but `i`: each node's seeds, as in a usual deployment (with
  /// fewer, a schedule can split the nodes into groups that never heard of
  /// each other).
  std::vector<size_t> others(size_t i) {
    std::vector<size_t> result;
    for (size_t j = 0; j < net.size(); ++j)
      if (j != i)
        result.push_back(j);
    return result;
  }

  /// The owners of login_id's sessions in the schedule's own model.
  std::vector<std::string> owners(const std::string& login_id) {
    std::vector<std::string> result;
    for (auto& [k, i] : sessions)
      if (k.first == login_id)
        result.push_back(net.at(i).name);
    std::sort(result.begin(), result.end());
    return result;
  }

  std::mt19937 rng;
  network net;
  std::map<std::pair<std::string, std::string>, size_t> sessions;
  uint64_t tokens = 0;
  std::ostringstream log;
};

} // namespace

/// Runs the schedule of `seed` on four nodes, then heals every cut, brings
/// every node back in and waits for the views to converge on the model.
void run_schedule(uint32_t seed) {
  schedule s{seed, 4};
  s.net.join(0, s.others(0));
  for (int i = 0; i < 40; ++i)
    s.step();
  s.net.heal_all();
  for (size_t i = 0; i < s.net.size(); ++i)
    if (!s.net.at(i).cluster)
      s.net.join(i, s.others(i));
  INFO("seed " << seed << ": " << s.log.str());
  auto ok = s.net.settle([&] { return s.net.converged(); }, 400);
  INFO(s.net.describe());
  REQUIRE(ok);
  for (size_t i = 0; i < s.net.size(); ++i)
    for (int u = 0; u < 5; ++u) {
      auto login = "u" + std::to_string(u);
      INFO("node n" << i << ", " << login);
      CHECK(s.net.owners_of(i, login) == s.owners(login));
    }
}

TEST_CASE("DSL: seeded random join/leave/partition/heal schedules end with "
          "equal digests",
          "[cluster][dsl]") {
  // More seeds: the hidden test below.
  run_schedule(GENERATE(range(uint32_t{1}, uint32_t{13})));
}

// Seed 36 had n1 and n3 never link again: a cut left a connect prepared for
// an earlier dial (answered from the middleman's cache) waiting on n1, its
// server's end closed, and the next connect took it and waited forever for a
// handshake (docs/design.md, "Deterministic network tests"). The harness now
// takes such a connect away at the cut, as a refused connect.
TEST_CASE("DSL: seed 36 (a connect prepared before a cut)", "[cluster][dsl]") {
  run_schedule(36);
}

// Run when the harness or the cluster's joins change.
TEST_CASE("DSL: seeds 1-300", "[.][dsl-wide]") {
  run_schedule(GENERATE(range(uint32_t{1}, uint32_t{301})));
}

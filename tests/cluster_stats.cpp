// stats() on cluster nodes: users and sessions count the node's view of the
// whole cluster, local_users and local_sessions what this node owns, nodes
// the nodes up in the view, peers and view_digest what the cluster actor
// reported at its last tick. Two nodes in one process; every check waits for
// the state it expects.

#include <catch2/catch.hpp>

#include "cluster_fixture.hpp"
#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace cluster_stats_tests {

using namespace presence;
using test::wait_until;

namespace {

presence_stats stats_of(test::cluster_node& n) {
  auto x = n.manager->stats();
  REQUIRE(x);
  return *x;
}

} // namespace

TEST_CASE("stats count the view, this node's own part and the nodes up",
          "[cluster][cluster-stats]") {
  test::cluster_node a{"a", {}};
  REQUIRE(a.manager->mark_online(make_online_user("x", "x1", "web")).get());
  REQUIRE(a.manager->mark_online(make_online_user("y", "y1", "web")).get());
  // Alone: the view is this node's own.
  auto st = stats_of(a);
  CHECK(st.nodes == 1);
  CHECK(st.users == 2);
  CHECK(st.local_users == 2);
  CHECK(st.local_sessions == 2);
  test::cluster_node b{"b", {a.port}};
  REQUIRE(b.manager->mark_online(make_online_user("y", "y2", "ios")).get());
  REQUIRE(b.manager->mark_online(make_online_user("z", "z1", "web")).get());
  REQUIRE(b.manager->mark_online(make_online_user("z", "z2", "ios")).get());
  for (auto* n : {&a, &b})
    REQUIRE(wait_until([&] {
      auto s = stats_of(*n);
      return s.sessions == 5 && s.nodes == 2;
    }));
  st = stats_of(a);
  CHECK(st.users == 3);
  CHECK(st.local_users == 2);
  CHECK(st.local_sessions == 2);
  st = stats_of(b);
  CHECK(st.users == 3);
  CHECK(st.local_users == 2);
  CHECK(st.local_sessions == 3);
  // The peers and the digest, as of the cluster's next tick: the same
  // digest on both nodes, the one the cluster handle answers.
  REQUIRE(wait_until([&] {
    auto x = stats_of(a);
    auto y = stats_of(b);
    return x.view_digest != 0 && x.view_digest == y.view_digest
           && x.view_digest == a.digest() && x.peers.size() == 1
           && x.peers[0].node == "b" && x.peers[0].state == "up"
           && x.peers[0].lag == 0 && x.peers[0].window_bytes == 0;
  }));
  // b leaves: its sessions leave a's view, and so does the node.
  b.stop();
  REQUIRE(wait_until([&] {
    auto s = stats_of(a);
    return s.nodes == 1 && s.sessions == 2 && s.peers.size() == 1
           && s.peers[0].state == "down" && s.view_digest == a.digest();
  }));
  st = stats_of(a);
  CHECK(st.users == 2);
  CHECK(st.local_users == 2);
  CHECK(st.local_sessions == 2);
}

} // namespace cluster_stats_tests

// Three nodes in one process, each an actor system with a real registry and
// facade, joined by start_cluster over loopback: what a user of the cluster
// sees. Every check waits for the state it expects, never for time.

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <caf/io/middleman.hpp>

#include "cluster_fixture.hpp"
#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace cluster_nodes_tests {

using namespace presence;
using namespace std::chrono_literals;
using test::wait_until;

namespace {

using test::cluster_node;
using strings = std::vector<std::string>;

} // namespace

TEST_CASE("a session logged in on one node is online on every node",
          "[cluster][cluster-nodes]") {
  cluster_node a{"a", {}};
  cluster_node b{"b", {a.port}};
  cluster_node c{"c", {a.port}};
  REQUIRE(wait_until([&] {
    return a.up_peers() == 2 && b.up_peers() == 2 && c.up_peers() == 2;
  }));
  REQUIRE(a.manager->mark_online(make_online_user("u1", "t1", "web")).get());
  REQUIRE(c.manager->mark_online(make_online_user("u1", "t2", "ios")).get());
  for (auto* n : {&a, &b, &c})
    REQUIRE(wait_until([&] { return n->nodes_of("u1") == strings{"a", "c"}; }));
  CHECK(*b.manager->get_online_count() == 1);
  CHECK(*b.manager->get_session_count() == 2);
  REQUIRE(wait_until([&] {
    return a.digest() == b.digest() && b.digest() == c.digest();
  }));
}

TEST_CASE("a write on another node's session reads back at once",
          "[cluster][cluster-nodes]") {
  cluster_node a{"a", {}};
  cluster_node b{"b", {a.port}};
  REQUIRE(a.manager->mark_online(make_online_user("u1", "t1", "web")).get());
  REQUIRE(b.manager->mark_online(make_online_user("u2", "t2", "web")).get());
  REQUIRE(a.manager->mark_online(make_online_user("u2", "t3", "ios")).get());
  REQUIRE(wait_until([&] { return b.online("u1"); }));
  REQUIRE(wait_until([&] { return b.nodes_of("u2") == strings{"a", "b"}; }));
  // b forwards the logout to a, the owner; a's delta comes before its
  // answer, so b reads its own write as soon as the call completes.
  auto r = b.manager->mark_offline("u1", "t1").get();
  REQUIRE(r);
  CHECK(r->removed == 1);
  CHECK(!b.online("u1"));
  REQUIRE(wait_until([&] { return !a.online("u1"); }));
  // A logout of every session goes to every owner and answers once.
  auto all = b.manager->mark_offline_all("u2").get();
  REQUIRE(all);
  CHECK(all->removed == 2);
  CHECK(!b.online("u2"));
  REQUIRE(wait_until([&] { return !a.online("u2"); }));
}

TEST_CASE("a logout of many users reaches every owner and reads back at "
          "once",
          "[cluster][cluster-nodes]") {
  cluster_node a{"a", {}};
  cluster_node b{"b", {a.port}};
  REQUIRE(a.manager->mark_online(make_online_user("u1", "t1", "web")).get());
  REQUIRE(b.manager->mark_online(make_online_user("u1", "t2", "ios")).get());
  REQUIRE(a.manager->mark_online(make_online_user("u2", "t3", "web")).get());
  REQUIRE(b.manager->mark_online(make_online_user("u3", "t4", "web")).get());
  REQUIRE(wait_until([&] {
    return b.nodes_of("u1") == strings{"a", "b"} && b.online("u2")
           && a.online("u3");
  }));
  auto r = b.manager->mark_offline_users({"u1", "u2", "u3"}).get();
  REQUIRE(r);
  CHECK(r->status == change_status::user_offline);
  CHECK(r->removed == 4);
  // Each owner's delta came before its answer.
  CHECK(!b.online("u1"));
  CHECK(!b.online("u2"));
  CHECK(!b.online("u3"));
  REQUIRE(wait_until([&] {
    return !a.online("u1") && !a.online("u2") && !a.online("u3");
  }));
}

TEST_CASE("a node that stops takes its sessions out of every view",
          "[cluster][cluster-nodes]") {
  cluster_node a{"a", {}};
  cluster_node b{"b", {a.port}};
  REQUIRE(b.manager->mark_online(make_online_user("u", "t", "web")).get());
  REQUIRE(wait_until([&] { return a.online("u"); }));
  b.stop();
  REQUIRE(wait_until([&] { return !a.online("u"); }));
  CHECK(a.up_peers() == 0);
}

TEST_CASE("a cluster actor killed by a peer comes back as a new incarnation",
          "[cluster][cluster-nodes]") {
  cluster_node a{"a", {}};
  cluster_node b{"b", {a.port}};
  REQUIRE(a.manager->mark_online(make_online_user("ua", "ta", "web")).get());
  REQUIRE(b.manager->mark_online(make_online_user("ub", "tb", "web")).get());
  REQUIRE(wait_until([&] { return a.online("ub") && b.online("ua"); }));
  auto before = a.members().front().incarnation;
  // Anyone who reaches the port can send exit_reason::kill, which CAF 0.17
  // does not let any handler refuse.
  auto proxy = b.sys->middleman().remote_actor("127.0.0.1", a.port);
  REQUIRE(proxy);
  caf::anon_send_exit(*proxy, caf::exit_reason::kill);
  auto restarted = wait_until([&] {
    auto ms = a.members();
    return !ms.empty() && ms.front().incarnation != before;
  });
  INFO("a: " << a.describe());
  REQUIRE(restarted);
  // The new incarnation rejoins (b redials the seed) and both views
  // converge again.
  REQUIRE(wait_until([&] {
    return a.up_peers() == 1 && b.online("ua") && a.online("ub")
           && a.digest() == b.digest();
  }));
}

TEST_CASE("nodes with the cluster's certificates join over mutual TLS",
          "[cluster][cluster-nodes][tls]") {
  // tests/cluster_endpoint.cpp shows the refusals (a foreign CA's
  // certificate, none at all) at the dial itself.
  cluster_node::options tls;
  tls.mode = cluster_node::tls::cluster;
  cluster_node a{"a", {}, tls};
  cluster_node b{"b", {a.port}, tls};
  REQUIRE(wait_until([&] { return a.up_peers() == 1 && b.up_peers() == 1; }));
  REQUIRE(a.manager->mark_online(make_online_user("u", "t", "web")).get());
  REQUIRE(wait_until([&] { return b.online("u"); }));
  REQUIRE(wait_until([&] { return a.digest() == b.digest(); }));
}

TEST_CASE("a peer that falls a window behind is stale, then catches up by a "
          "snapshot",
          "[cluster][cluster-nodes][peer-window]") {
  // a's window holds 4 KiB of deltas; b acks at its tick (its own window is
  // the default, so half of it never arrives at once), so a burst of a's
  // writes outruns b's acks.
  cluster_node::options tiny;
  tiny.more = [](caf::actor_system_config& cfg) {
    caf::put(cfg.content, "presence.cluster.max-batch-bytes", 1024);
    caf::put(cfg.content, "presence.cluster.peer-window-bytes", 4096);
  };
  cluster_node a{"a", {}, tiny};
  cluster_node b{"b", {a.port}};
  REQUIRE(wait_until([&] { return a.up_peers() == 1 && b.up_peers() == 1; }));
  auto b_at_a = [&] {
    for (auto& m : a.members())
      if (m.node == "b")
        return m;
    return member_info{};
  };
  size_t n = 0;
  member_info seen;
  REQUIRE(wait_until([&] {
    for (int i = 0; i < 20; ++i, ++n)
      a.manager->mark_online(make_online_user(
        "w" + std::to_string(n), "t" + std::to_string(n), "web"));
    seen = b_at_a();
    return seen.state == peer_state::stale;
  }));
  // Stale means deltas are in flight (with none, the snapshot goes at once).
  CHECK(seen.window_bytes > 0);
  
  REQUIRE(!a.manager->sync());
  // The burst is over: b acks what it has, gets a's snapshot and is up; its
  // view equals a's, and every byte a sent is acked.
  REQUIRE(wait_until([&] {
    auto m = b_at_a();
    return m.state == peer_state::up && m.window_bytes == 0
           && *b.manager->get_session_count() == n
           && a.digest() == b.digest();
  }));
  CHECK(b.up_peers() == 1);
}

} // namespace cluster_nodes_tests

// Three nodes in one process, each an actor system with a real registry and
// facade, joined by start_cluster over loopback: what a user of the cluster
// sees. Every check waits for the state it expects, never for time.

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "presence/cluster.hpp"
#include "presence/config.hpp"
#include "presence/online_manager.hpp"

#include "test_util.hpp"

using namespace presence;
using namespace std::chrono_literals;
using test::wait_until;

namespace {

struct cluster_node {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<online_manager> manager;
  cluster_actor node;
  uint16_t port = 0;

  /// Certificates for mutual TLS: none (plain BASP), the cluster's CA, or a
  /// foreign CA's.
  enum class tls { off, cluster, foreign };

  cluster_node(const std::string& name, std::vector<uint16_t> seeds,
               tls mode = tls::off) {
    presence::configure(cfg);
    configure_cluster(cfg);
    if (mode != tls::off) {
      std::string d = PRESENCE_TEST_CERT_DIR;
      auto prefix = mode == tls::cluster ? std::string{"/"}
                                         : std::string{"/foreign-"};
      caf::put(cfg.content, "presence.cluster.tls", true);
      cfg.set("openssl.certificate", d + prefix + "node.pem");
      cfg.set("openssl.key", d + prefix + "node.key");
      cfg.set("openssl.cafile",
              d + (mode == tls::cluster ? "/cluster-ca.pem" : "/foreign-ca.pem"));
    }
    caf::put(cfg.content, "presence.cluster.name", "test");
    caf::put(cfg.content, "presence.cluster.node-name", name);
    caf::put(cfg.content, "presence.cluster.port", 0);
    std::vector<std::string> xs;
    for (auto p : seeds)
      xs.push_back("127.0.0.1:" + std::to_string(p));
    caf::put(cfg.content, "presence.cluster.seeds", xs);
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    manager = std::make_unique<online_manager>(*sys);
    auto started = start_cluster(*sys, *manager);
    if (!started)
      FAIL(render_cluster(started.error()));
    node = *started;
    port = members().front().port;
  }

  ~cluster_node() {
    stop();
    manager.reset();
  }

  void stop() {
    if (node)
      stop_cluster(*sys, node);
    node = nullptr;
  }

  std::vector<member_info> members() {
    caf::scoped_actor self{*sys};
    std::vector<member_info> result;
    self->request(node, 10s, members_atom::value)
      .receive([&](std::vector<member_info>& xs) { result = std::move(xs); },
               [&](caf::error&) {});
    return result;
  }

  size_t up_peers() {
    size_t n = 0;
    for (auto& m : members())
      n += !m.self && m.state == peer_state::up ? 1 : 0;
    return n;
  }

  uint64_t digest() {
    caf::scoped_actor self{*sys};
    uint64_t result = 0;
    self->request(node, 10s, digest_atom::value)
      .receive([&](uint64_t x) { result = x; }, [&](caf::error&) {});
    return result;
  }

  bool online(const std::string& login) {
    auto x = manager->is_online(login);
    return x && *x;
  }

  /// The nodes of the user's sessions, as this node sees them.
  std::vector<std::string> nodes_of(const std::string& login) {
    std::vector<std::string> result;
    if (auto xs = manager->get_user_sessions(login))
      for (auto& s : *xs)
        result.push_back(s.node);
    std::sort(result.begin(), result.end());
    return result;
  }
};

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
  REQUIRE(wait_until([&] {
    auto ms = a.members();
    return !ms.empty() && ms.front().incarnation != before;
  }));
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
  using tls = cluster_node::tls;
  cluster_node a{"a", {}, tls::cluster};
  cluster_node b{"b", {a.port}, tls::cluster};
  REQUIRE(wait_until([&] { return a.up_peers() == 1 && b.up_peers() == 1; }));
  REQUIRE(a.manager->mark_online(make_online_user("u", "t", "web")).get());
  REQUIRE(wait_until([&] { return b.online("u"); }));
  REQUIRE(wait_until([&] { return a.digest() == b.digest(); }));
}

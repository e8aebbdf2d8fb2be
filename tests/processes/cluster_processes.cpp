// Nodes in processes of their own (examples/cluster_node), killed, stopped
// and restarted: the failures one process cannot stage. Each check waits for
// the line that shows the state it expects; the timeouts only bound a hang.

#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "processes/node_process.hpp"
#include "processes/tcp_relay.hpp"

using test::node_process;

namespace {

std::vector<std::string> node_args(const std::string& name, uint16_t port,
                                   std::vector<uint16_t> seeds,
                                   const std::string& cluster = "procs") {
  std::vector<std::string> args{
    "--presence.cluster.name=" + cluster,
    "--presence.cluster.node-name=" + name,
    "--presence.cluster.port=" + std::to_string(port),
  };
  if (!seeds.empty()) {
    std::string list = "--presence.cluster.seeds=[";
    for (size_t i = 0; i < seeds.size(); ++i)
      list += (i > 0 ? ",\"127.0.0.1:" : "\"127.0.0.1:")
              + std::to_string(seeds[i]) + "\"";
    args.push_back(list + "]");
  }
  return args;
}

std::unique_ptr<node_process> start(const std::string& name, uint16_t port,
                                    std::vector<uint16_t> seeds = {},
                                    const std::string& cluster = "procs") {
  auto p = std::make_unique<node_process>(
    PRESENCE_CLUSTER_NODE, node_args(name, port, std::move(seeds), cluster));
  INFO(p->transcript());
  REQUIRE(p->port() != 0);
  return p;
}

} // namespace

TEST_CASE("a node killed with SIGKILL leaves the other views",
          "[processes]") {
  auto a = start("a", 0);
  auto b = start("b", 0, {a->port()});
  REQUIRE(a->wait_line("event node_up b"));
  b->send("login ann phone ios");
  INFO(a->transcript());
  REQUIRE(a->wait_line("event joined ann/phone @b"));
  b->signal(SIGKILL);
  b->wait_exit();
  REQUIRE(a->wait_line("event left ann/phone @b (node_down)"));
  REQUIRE(a->wait_line("event node_down b"));
  REQUIRE(a->poll("is ann", "ann offline"));
}

TEST_CASE("a stopped node is detected by heartbeats and rejoins when resumed",
          "[processes]") {
  auto a = start("a", 0);
  auto b = start("b", 0, {a->port()});
  REQUIRE(a->wait_line("event node_up b"));
  b->send("login bob laptop web");
  REQUIRE(a->wait_line("event joined bob/laptop @b"));
  b->signal(SIGSTOP);
  INFO(a->transcript());
  // CAF's heartbeats (500 ms, connection timeout 2 s by default) cut the
  // silent link; the node's sessions go with it.
  REQUIRE(a->wait_line("event left bob/laptop @b (node_down)"));
  b->signal(SIGCONT);
  // b redials its seed; its sessions come back with the node.
  REQUIRE(a->wait_line("event node_up b"));
  REQUIRE(a->wait_line("event joined bob/laptop @b (node_up)"));
  REQUIRE(a->poll("is bob", "bob online"));
}

TEST_CASE("a node restarted on its port rejoins at once", "[processes]") {
  auto a = start("a", 0);
  auto port = a->port();
  auto b = start("b", 0, {port});
  REQUIRE(b->wait_line("event node_up a"));
  a->send("login cid tab web");
  REQUIRE(b->wait_line("event joined cid/tab @a"));
  a->signal(SIGKILL);
  a->wait_exit();
  REQUIRE(b->wait_line("event node_down a"));
  // Address reuse lets the new process bind the same port at once; b keeps
  // dialing its seed and finds a new incarnation with no sessions.
  a = start("a", port);
  INFO(b->transcript());
  REQUIRE(b->wait_line("event node_up a"));
  REQUIRE(b->poll("is cid", "cid offline"));
  a->send("login cid tab2 web");
  REQUIRE(b->wait_line("event joined cid/tab2 @a"));
}

TEST_CASE("a node of another cluster is refused", "[processes]") {
  auto a = start("a", 0);
  auto d = start("d", 0, {a->port()}, "elsewhere");
  INFO(d->transcript());
  REQUIRE(d->wait_line("refused the join"));
  REQUIRE(a->poll("members", "members: 1"));
}

TEST_CASE("one link that fails silently is cut; the other links stay up",
          "[processes]") {
  auto a = start("a", 0);
  // b reaches a only through the relay; c is linked to both directly.
  test::tcp_relay relay{a->port()};
  auto b = start("b", 0, {relay.port()});
  REQUIRE(a->wait_line("event node_up b"));
  auto c = start("c", 0, {a->port()});
  REQUIRE(a->wait_line("event node_up c"));
  REQUIRE(b->wait_line("event node_up c"));
  b->send("login dee pad web");
  REQUIRE(a->wait_line("event joined dee/pad @b"));
  relay.freeze(true);
  INFO(a->transcript() + "--\n" + c->transcript());
  // Heartbeats stop on the a-b link only: a drops b's sessions, c keeps
  // them.
  REQUIRE(a->wait_line("event left dee/pad @b (node_down)"));
  CHECK(!c->wait_line("node_down", std::chrono::milliseconds(0)));
  REQUIRE(c->poll("is dee", "dee online"));
  relay.freeze(false);
  // a dials b's own address again (the smaller name dials), or b its seed
  // through the relay: either way they join again.
  REQUIRE(a->wait_line("event joined dee/pad @b (node_up)"));
}

// Login policies across nodes: two nodes in one process, each with a real
// registry, facade and in-memory pusher. A policy counts the user's sessions
// in the node's whole view; a session another node owns that a `replace`
// policy kicks is kicked by its owner (KickOut on the owner's pusher) and
// leaves every view with the owner's delta. Every check waits for the state
// it expects, never for time.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "cluster_fixture.hpp"
#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace cluster_policies_tests {

using namespace presence;
using namespace std::chrono_literals;
using test::wait_until;

namespace {

using test::cluster_node;

struct pair_of_nodes {
  cluster_node a{"a", {}, {cluster_node::tls::off, true, 60s}};
  cluster_node b{"b", {a.port}, {cluster_node::tls::off, true, 60s}};

  pair_of_nodes() {
    REQUIRE(wait_until([&] { return a.up_peers() == 1 && b.up_peers() == 1; }));
  }

  /// Waits until both nodes see exactly these nodes' sessions of `login`.
  bool settled(const std::string& login, std::vector<std::string> nodes) {
    std::sort(nodes.begin(), nodes.end());
    return wait_until([&] {
      return a.nodes_of(login) == nodes && b.nodes_of(login) == nodes;
    });
  }

  /// The tokens of `login` as node `n` sees them, sorted.
  static std::vector<std::string> tokens(cluster_node& n,
                                         const std::string& login) {
    std::vector<std::string> result;
    if (auto xs = n.manager->get_user_sessions(login))
      for (auto& s : *xs)
        result.push_back(s.token);
    std::sort(result.begin(), result.end());
    return result;
  }
};

bool kicked_out(cluster_node& n, const std::string& login) {
  auto xs = n.got(login);
  return xs.size() == 1 && xs.front().type == message_type::kick_out()
         && xs.front().content == "replaced";
}

} // namespace

TEST_CASE("max_sessions replace kicks a session another node owns",
          "[cluster][cluster-policies]") {
  pair_of_nodes t;
  REQUIRE(t.b.manager->mark_online(make_online_user("u", "b1", "web")).get());
  REQUIRE(t.settled("u", {"b"}));
  auto r = t.a.manager
             ->mark_online(make_online_user("u", "a1", "ios"),
                           login_policy{1, false, limit_action::replace})
             .get();
  REQUIRE(r);
  CHECK(r->status == change_status::joined);
  CHECK(r->removed == 1);
  // The new session is there at once; the victim leaves with b's delta.
  CHECK(t.a.online("u"));
  REQUIRE(wait_until([&] { return kicked_out(t.b, "u"); }));
  REQUIRE(t.settled("u", {"a"}));
  CHECK(pair_of_nodes::tokens(t.a, "u") == std::vector<std::string>{"a1"});
  CHECK(pair_of_nodes::tokens(t.b, "u") == std::vector<std::string>{"a1"});
  CHECK(t.a.got("u").empty());
}

TEST_CASE("a policy counts local and remote sessions and kicks the oldest",
          "[cluster][cluster-policies]") {
  pair_of_nodes t;
  // b1 is the oldest; a user actor on a decides with b's session counted.
  REQUIRE(t.b.manager->mark_online(make_online_user("v", "b1", "web")).get());
  REQUIRE(t.settled("v", {"b"}));
  REQUIRE(t.a.manager->mark_online(make_online_user("v", "a1", "web")).get());
  REQUIRE(t.settled("v", {"a", "b"}));
  auto r = t.a.manager
             ->mark_online(make_online_user("v", "a2", "web"),
                           login_policy{2, false, limit_action::replace})
             .get();
  REQUIRE(r);
  CHECK(r->removed == 1);
  REQUIRE(wait_until([&] { return kicked_out(t.b, "v"); }));
  REQUIRE(t.settled("v", {"a", "a"}));
  CHECK(pair_of_nodes::tokens(t.b, "v")
        == std::vector<std::string>{"a1", "a2"});
  CHECK(t.a.got("v").empty());
  // Now a1 is the oldest: a local victim, kicked here.
  r = t.a.manager
        ->mark_online(make_online_user("v", "a3", "web"),
                      login_policy{2, false, limit_action::replace})
        .get();
  REQUIRE(r);
  CHECK(r->removed == 1);
  REQUIRE(wait_until([&] { return kicked_out(t.a, "v"); }));
  REQUIRE(wait_until([&] {
    return pair_of_nodes::tokens(t.b, "v")
           == std::vector<std::string>{"a2", "a3"};
  }));
}

TEST_CASE("max_sessions reject refuses a login when another node holds the "
          "limit",
          "[cluster][cluster-policies]") {
  pair_of_nodes t;
  REQUIRE(t.b.manager->mark_online(make_online_user("w", "b1", "web")).get());
  REQUIRE(t.settled("w", {"b"}));
  login_policy p{1, false, limit_action::reject};
  // Through a node where the user has no session (no user actor there) ...
  auto r = t.a.manager->mark_online(make_online_user("w", "a1", "ios"), p)
             .get();
  REQUIRE(!r);
  CHECK_PRESENCE_ERROR(r.error(), too_many_sessions);
  // ... and through one where it has (its user actor decides).
  REQUIRE(t.a.manager->mark_online(make_online_user("w", "a0", "web")).get());
  REQUIRE(t.settled("w", {"a", "b"}));
  p.max_sessions = 2;
  r = t.a.manager->mark_online(make_online_user("w", "a2", "ios"), p).get();
  REQUIRE(!r);
  CHECK_PRESENCE_ERROR(r.error(), too_many_sessions);
  CHECK(pair_of_nodes::tokens(t.a, "w")
        == std::vector<std::string>{"a0", "b1"});
  CHECK(t.b.got("w").empty());
}

TEST_CASE("one session per device counts the device types of every node",
          "[cluster][cluster-policies]") {
  pair_of_nodes t;
  REQUIRE(t.b.manager->mark_online(make_online_user("d", "b-ios", "ios"))
            .get());
  REQUIRE(t.b.manager->mark_online(make_online_user("d", "b-web", "web"))
            .get());
  REQUIRE(t.settled("d", {"b", "b"}));
  auto r = t.a.manager
             ->mark_online(make_online_user("d", "a-ios", "ios"),
                           login_policy{0, true, limit_action::reject})
             .get();
  REQUIRE(!r);
  CHECK_PRESENCE_ERROR(r.error(), device_taken);
  r = t.a.manager
        ->mark_online(make_online_user("d", "a-ios", "ios"),
                      login_policy{0, true, limit_action::replace})
        .get();
  REQUIRE(r);
  CHECK(r->removed == 1);
  REQUIRE(wait_until([&] { return kicked_out(t.b, "d"); }));
  REQUIRE(t.settled("d", {"a", "b"}));
  CHECK(pair_of_nodes::tokens(t.a, "d")
        == std::vector<std::string>{"a-ios", "b-web"});
  CHECK(pair_of_nodes::tokens(t.b, "d")
        == std::vector<std::string>{"a-ios", "b-web"});
}

TEST_CASE("racing logins under a configured replace policy converge",
          "[cluster][cluster-policies]") {
  // One session per user, configured: the owners apply it again when
  // another node's session arrives, so a race within the replication lag
  // ends with the newest session on every node.
  cluster_node::options opts{cluster_node::tls::off, true, 60s,
                             [](caf::actor_system_config& cfg) {
                               cfg.set("presence.max-sessions", 1);
                             }};
  cluster_node a{"a", {}, opts};
  cluster_node b{"b", {a.port}, opts};
  REQUIRE(wait_until([&] { return a.up_peers() == 1 && b.up_peers() == 1; }));
  for (int round = 0; round < 5; ++round) {
    auto login = "r" + std::to_string(round);
    // Both logins are in flight before either node has seen the other's.
    auto x = a.manager->mark_online(make_online_user(login, "a", "web"));
    auto y = b.manager->mark_online(make_online_user(login, "b", "web"));
    REQUIRE(x.get());
    REQUIRE(y.get());
    REQUIRE(wait_until([&] {
      auto at_a = pair_of_nodes::tokens(a, login);
      return at_a.size() == 1 && at_a == pair_of_nodes::tokens(b, login);
    }));
    // The loser's user got its KickOut from its own node.
    auto winner = pair_of_nodes::tokens(a, login).front();
    auto& loser = winner == "a" ? b : a;
    REQUIRE(wait_until([&] { return kicked_out(loser, login); }));
  }
  CHECK(wait_until([&] { return a.digest() == b.digest(); }));
}

} // namespace cluster_policies_tests

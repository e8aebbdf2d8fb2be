// The peers a node knows (cluster/membership.hpp): joins and what kind they
// are, lost links, lookups by actor and by name, addresses learned from
// gossip, what it gossips and the membership list with its lag and window.
//
// A peer is identified by the handle of its cluster actor, so the handles
// here are real actors of a one-thread system that do nothing.

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "cluster/membership.hpp"
#include "spawn_fn.hpp"

// A namespace per test file: the tests build in unity batches.
namespace membership_tests {

using namespace presence;
using namespace presence::cluster;

namespace {

caf::behavior idle(caf::event_based_actor*) {
  return {[](int) {}};
}

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::vector<caf::actor> spawned;

  fixture() {
    cfg.set("scheduler.max-threads", 1);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  ~fixture() {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  caf::actor actor() {
    spawned.push_back(test::spawn_fn(*sys, idle));
    return spawned.back();
  }
};

node_address addr(std::string node, incarnation_id inc, uint16_t port = 4000,
                  std::string host = "10.0.0.1") {
  return node_address{std::move(node), std::move(host), port, inc};
}

std::vector<std::string> names(const std::vector<member_info>& xs) {
  std::vector<std::string> out;
  for (auto& x : xs)
    out.push_back(x.node);
  return out;
}

const member_info* member(const std::vector<member_info>& xs,
                          const std::string& node) {
  for (auto& x : xs)
    if (x.node == node)
      return &x;
  return nullptr;
}

} // namespace

TEST_CASE("a join is fresh, a new incarnation, or the same link again",
          "[cluster][membership]") {
  fixture f;
  membership m{addr("a", 1)};
  auto b1 = f.actor();
  CHECK(m.joined(addr("b", 7), b1) == membership::join_kind::fresh);
  CHECK(m.up_count() == 1);
  // A second handshake over the same link changes nothing.
  CHECK(m.joined(addr("b", 7), b1) == membership::join_kind::again);
  CHECK(m.up_count() == 1);
  // The node restarted: a new incarnation through a new actor.
  auto b2 = f.actor();
  CHECK(m.joined(addr("b", 8), b2) == membership::join_kind::new_incarnation);
  CHECK(m.up_count() == 1);
  REQUIRE(m.find(b2.address()) != nullptr);
  CHECK(m.find(b2.address())->address.incarnation == 8);
  // The old actor no longer names the peer: its down message is stale.
  CHECK(m.find(b1.address()) == nullptr);
  CHECK(!m.lost(b1.address()));
  CHECK(m.up_count() == 1);
  // After a loss the node comes back fresh, whatever its incarnation.
  CHECK(m.lost(b2.address()) == std::optional<std::string>{"b"});
  CHECK(m.joined(addr("b", 8), f.actor()) == membership::join_kind::fresh);
  CHECK(m.lost(m.find("b")->handle.address()) == std::optional<std::string>{"b"});
  CHECK(m.joined(addr("b", 9), f.actor()) == membership::join_kind::fresh);
}

TEST_CASE("a join resets the announced seq", "[cluster][membership]") {
  fixture f;
  membership m{addr("a", 1)};
  m.joined(addr("b", 7), f.actor());
  m.find("b")->announced = 12;
  m.joined(addr("b", 8), f.actor());
  CHECK(m.find("b")->announced == 0);
}

TEST_CASE("a lost link marks the peer down and forgets its actor",
          "[cluster][membership]") {
  fixture f;
  membership m{addr("a", 1)};
  auto b = f.actor();
  auto c = f.actor();
  m.joined(addr("b", 7), b);
  m.joined(addr("c", 3), c);
  CHECK(m.lost(b.address()) == std::optional<std::string>{"b"});
  CHECK(m.up_count() == 1);
  CHECK(m.find(b.address()) == nullptr);
  CHECK(m.find("b") == nullptr);
  // A second down message of the same actor is nothing.
  CHECK(!m.lost(b.address()));
  // An actor that never joined is nothing either.
  CHECK(!m.lost(f.actor().address()));
  auto members = m.members({});
  REQUIRE(member(members, "b") != nullptr);
  CHECK(member(members, "b")->state == peer_state::down);
  CHECK(member(members, "c")->state == peer_state::up);
  REQUIRE(m.linked().size() == 1);
  CHECK(m.linked().front()->address.node == "c");
  // Its address stays known for dialing it again.
  REQUIRE(m.address_of("b") != nullptr);
  CHECK(*m.address_of("b") == addr("b", 7));
  CHECK(m.address_of("a") == nullptr);
  CHECK(m.address_of("zed") == nullptr);
}

TEST_CASE("peers are found by their actor and by name",
          "[cluster][membership]") {
  fixture f;
  membership m{addr("a", 1)};
  auto b = f.actor();
  m.joined(addr("b", 7, 4100, "10.0.0.2"), b);
  auto by_actor = m.find(b.address());
  auto by_name = m.find("b");
  REQUIRE(by_actor != nullptr);
  CHECK(by_actor == by_name);
  CHECK(by_actor->address == addr("b", 7, 4100, "10.0.0.2"));
  CHECK(by_actor->handle == b);
  CHECK(by_actor->state == peer_state::up);
  CHECK(m.find("nobody") == nullptr);
  CHECK(m.find(f.actor().address()) == nullptr);
  // This node is not a peer.
  CHECK(m.find("a") == nullptr);
  // A node only learned of (never joined) is not found either.
  m.learn(addr("c", 3));
  CHECK(m.find("c") == nullptr);
}

TEST_CASE("gossip teaches new addresses and newer incarnations",
          "[cluster][membership]") {
  fixture f;
  membership m{addr("a", 1)};
  // This node's own address is never worth dialing.
  CHECK(!m.learn(addr("a", 1)));
  CHECK(!m.learn(addr("a", 5, 4999)));
  CHECK(m.members({}).size() == 1);
  // New.
  CHECK(m.learn(addr("c", 3)));
  // The same again.
  CHECK(!m.learn(addr("c", 3)));
  // Down (never joined) and moved: remembered, worth dialing.
  CHECK(m.learn(addr("c", 4, 4001)));
  auto members = m.members({});
  REQUIRE(member(members, "c") != nullptr);
  CHECK(member(members, "c")->port == 4001);
  CHECK(member(members, "c")->incarnation == 4);
  CHECK(member(members, "c")->state == peer_state::down);
  // Up: the same incarnation is nothing new, another one is, and the
  // address the link joined with stays until that one joins.
  auto b = f.actor();
  m.joined(addr("b", 7), b);
  CHECK(!m.learn(addr("b", 7)));
  CHECK(!m.learn(addr("b", 7, 4555)));
  CHECK(m.learn(addr("b", 8)));
  CHECK(m.find("b")->address == addr("b", 7));
  CHECK(m.find("b")->state == peer_state::up);
}

TEST_CASE("gossip lists this node and every peer that is up",
          "[cluster][membership]") {
  fixture f;
  membership m{addr("a", 1)};
  CHECK(m.gossip() == std::vector<node_address>{addr("a", 1)});
  auto c = f.actor();
  m.joined(addr("c", 3, 4003), c);
  m.joined(addr("b", 7, 4002), f.actor());
  m.learn(addr("d", 9, 4004));
  CHECK(m.gossip()
        == std::vector<node_address>{addr("a", 1), addr("b", 7, 4002),
                                     addr("c", 3, 4003)});
  m.lost(c.address());
  CHECK(m.gossip()
        == std::vector<node_address>{addr("a", 1), addr("b", 7, 4002)});
}

TEST_CASE("members lists this node first, then by name, with the lag",
          "[cluster][membership]") {
  fixture f;
  membership m{addr("m", 1, 4000, "10.0.0.9")};
  m.joined(addr("z", 3), f.actor());
  m.joined(addr("b", 7), f.actor());
  m.learn(addr("c", 5));
  auto gone = f.actor();
  m.joined(addr("d", 2), gone);
  m.find("z")->announced = 10;
  m.find("b")->announced = 4;
  m.find("d")->announced = 8;
  m.lost(gone.address());
  std::map<std::string, uint64_t> applied{{"z", 7}, {"b", 9}};
  auto xs = m.members(applied);
  CHECK(names(xs) == std::vector<std::string>{"m", "b", "c", "d", "z"});
  CHECK(xs[0].self);
  CHECK(xs[0].host == "10.0.0.9");
  CHECK(xs[0].state == peer_state::up);
  CHECK(xs[0].lag == 0);
  for (size_t i = 1; i < xs.size(); ++i)
    CHECK(!xs[i].self);
  // z announced 10 and 7 applied; b is ahead of its announcement (no lag);
  // a down or only learned node has no lag.
  CHECK(member(xs, "z")->lag == 3);
  CHECK(member(xs, "b")->lag == 0);
  CHECK(member(xs, "c")->lag == 0);
  CHECK(member(xs, "d")->lag == 0);
  CHECK(member(xs, "d")->state == peer_state::down);
  // Nothing applied yet: the lag is all that was announced.
  CHECK(member(m.members({}), "z")->lag == 10);
}

TEST_CASE("members shows a full window as stale, with the bytes in flight",
          "[cluster][membership][peer-window]") {
  fixture f;
  membership m{addr("a", 1), 1000};
  auto b1 = f.actor();
  m.joined(addr("b", 7), b1);
  auto& w = m.find("b")->window;
  CHECK(w.limit() == 1000);
  REQUIRE(w.offer_delta(1, 600));
  REQUIRE_FALSE(w.offer_delta(2, 600));
  auto xs = m.members({});
  CHECK(member(xs, "b")->state == peer_state::stale);
  CHECK(member(xs, "b")->window_bytes == 600);
  CHECK(xs[0].window_bytes == 0);
  // Stale is still linked: found, listed to gossip and to send to.
  CHECK(m.linked().size() == 1);
  CHECK(m.up_count() == 1);
  // A second handshake of the same link keeps the window; a join after a
  // loss starts a new one.
  m.joined(addr("b", 7), b1);
  CHECK(m.find("b")->window.stale());
  m.lost(b1.address());
  CHECK(member(m.members({}), "b")->window_bytes == 0);
  m.joined(addr("b", 7), f.actor());
  CHECK_FALSE(m.find("b")->window.stale());
  CHECK(m.find("b")->window.unacked() == 0);
}

} // namespace membership_tests

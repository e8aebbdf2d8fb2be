// The cluster actor between real nodes: three actor systems in this process,
// linked over CAF's middleman on loopback. Each node's registry is a
// stand-in that speaks the registry's side of cluster_feed.hpp and records
// what the cluster actor tells it, so these tests see the actor's decisions
// (what goes to the registry, in which order, with which reason) directly.
// tests/cluster_nodes.cpp runs the same joins with real registries.

#include <catch2/catch.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/cluster_actor.hpp"
#include "cluster/type_ids.hpp"
#include "presence/config.hpp"
#include "presence/detail/cluster_feed.hpp"
#include "presence/detail/protocol.hpp"
#include "presence/error.hpp"

#include "cluster_fixture.hpp"
#include "test_util.hpp"
#include "spawn_fn.hpp"

// A namespace per test file: the tests build in unity batches.
namespace cluster_actor_tests {

using namespace presence;
using namespace presence::cluster;
using namespace std::chrono_literals;
using detail::local_change;
using detail::local_changes;
using detail::remote_update;
using test::wait_until;

namespace {

using emit_atom = caf::atom_constant<caf::atom("tEmit")>;

/// What the cluster actor told one node's registry.
struct record {
  std::mutex mtx;
  std::vector<remote_update> updates;
  std::vector<std::string> moves;  // "login/token->winner"
  std::vector<std::string> nodes;  // "+b", "-c"
  std::vector<detail::client_op> batches;

  template <class F>
  auto with(F f) {
    std::lock_guard<std::mutex> guard{mtx};
    return f(*this);
  }

  /// Whether the view (replayed updates) holds (login, token) from `node`.
  bool shows(const std::string& login, const std::string& token,
             const std::string& node) {
    return with([&](record& r) {
      bool found = false;
      for (auto& u : r.updates)
        for (auto& c : u.changes)
          if (c.session.login_id == login && c.session.token == token)
            found = !c.removed && u.node == node;
      return found;
    });
  }

  bool has_reason(const std::string& node, const std::string& reason) {
    return with([&](record& r) {
      for (auto& u : r.updates)
        if (u.node == node && u.reason == reason)
          return true;
      return false;
    });
  }
};

/// The registry's side of the contract: answers the attach with `initial`,
/// forwards emit_atom's changes as its own local changes, records the rest.
caf::behavior standin(caf::event_based_actor* self,
                      std::shared_ptr<record> rec, local_changes initial) {
  auto cluster = std::make_shared<caf::actor>();
  return {
    [=](detail::attach_cluster_atom, const std::string&, caf::actor c) {
      *cluster = c;
      return initial;
    },
    [=](emit_atom, local_changes& xs) {
      self->send(*cluster, detail::local_changes_atom::value, std::move(xs));
    },
    [=](detail::replica_atom, remote_update& u) {
      rec->with([&](record& r) { r.updates.push_back(std::move(u)); });
    },
    [=](detail::move_out_atom, std::string& login, std::string& token,
        std::string& winner) {
      rec->with([&](record& r) {
        r.moves.push_back(login + "/" + token + "->" + winner);
      });
    },
    [=](detail::node_event_atom, bool up, std::string& node) {
      rec->with([&](record& r) { r.nodes.push_back((up ? "+" : "-") + node); });
    },
    [=](detail::batch_atom, detail::client_batch& b) {
      detail::client_results res;
      for (auto& op : b.ops) {
        detail::op_result r;
        r.ticket = op.ticket;
        r.change.removed = 1;
        res.results.push_back(r);
        rec->with([&](record& x) { x.batches.push_back(op); });
      }
      self->send(b.reply_to, detail::results_atom::value, std::move(res));
    },
  };
}

/// Connects without blocking the cluster actor: a detached helper asks the
/// middleman (which blocks) and reports back.
dial_function test_dial(caf::actor_system& sys) {
  return [&sys](caf::actor self, uint64_t attempt, std::string host,
                uint16_t port) {
    test::spawn_fn<caf::detached>(sys, [=](caf::event_based_actor* helper) {
      auto peer = helper->system().middleman().remote_actor(host, port);
      if (peer)
        helper->send(self, dial_result_atom::value, attempt, *peer);
      else
        helper->send(self, dial_result_atom::value, attempt, peer.error());
    });
  };
}

local_change session(std::string login, std::string token,
                     caf::timestamp stamp = caf::make_timestamp()) {
  local_change x;
  x.session.login_id = std::move(login);
  x.session.token = std::move(token);
  x.session.device = "web";
  x.session.connect_time = stamp;
  x.session.last_activity = stamp;
  return x;
}

struct node {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<record> rec = std::make_shared<record>();
  caf::actor registry;
  caf::actor cluster;
  uint16_t port = 0;

  node(const std::string& name, std::vector<uint16_t> seeds,
       local_changes initial = {}, std::string cluster_name = "test") {
    presence::configure(cfg);
    register_types(cfg);
    cfg.load<caf::io::middleman>();
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    registry = sys->spawn(standin, rec, std::move(initial));
    cluster_config cc;
    cc.cluster = std::move(cluster_name);
    cc.self.node = name;
    cc.self.host = "127.0.0.1";
    cc.self.incarnation = std::hash<std::string>{}(name) | 1;
    for (auto p : seeds)
      cc.seeds.emplace_back("127.0.0.1", p);
    cluster = spawn_cluster_actor(*sys, registry, cc, test_dial(*sys));
    auto p = sys->middleman().publish(cluster, 0, "127.0.0.1", true);
    REQUIRE(p);
    port = *p;
    caf::scoped_actor self{*sys};
    self->request(cluster, 10s, start_atom::value, name,
                  std::string{"127.0.0.1"}, port)
      .receive([](bool) {}, [](caf::error& err) { FAIL(to_string(err)); });
  }

  ~node() {
    stop();
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
  }

  /// Stops the cluster actor the way its owner does (an exit message from an
  /// actor of this node).
  void stop() {
    caf::scoped_actor self{*sys};
    self->send_exit(cluster, caf::exit_reason::user_shutdown);
  }

  std::vector<member_info> members() {
    return test::members_of(*sys, cluster);
  }

  size_t up_peers() {
    return test::up_peers_of(*sys, cluster);
  }

  uint64_t digest() {
    return test::digest_of(*sys, cluster);
  }

  cluster_counters counters() {
    caf::scoped_actor self{*sys};
    cluster_counters result;
    self->request(cluster, 10s, stats_atom::value)
      .receive([&](cluster_counters& x) { result = x; }, [&](caf::error&) {});
    return result;
  }

  void emit(local_changes xs) {
    caf::anon_send(registry, emit_atom::value, std::move(xs));
  }
};

} // namespace

TEST_CASE("nodes joining through one seed form a full mesh and replicate",
          "[cluster][cluster-actor]") {
  node a{"a", {}, {session("ua", "ta")}};
  node b{"b", {a.port}};
  node c{"c", {a.port}, {session("uc", "tc")}};
  // b and c learn of each other from a's gossip; b dials c (smaller name).
  auto meshed = wait_until([&] {
    return a.up_peers() == 2 && b.up_peers() == 2 && c.up_peers() == 2;
  });
  for (auto* n : {&a, &b, &c})
    for (auto& m : n->members())
      UNSCOPED_INFO(m.node << ": " << to_string(m.state) << " " << m.host
                           << ":" << m.port);
  REQUIRE(meshed);
  // Sessions present at the join arrive as the owner's node coming up.
  REQUIRE(wait_until([&] { return b.rec->shows("ua", "ta", "a"); }));
  REQUIRE(wait_until([&] { return b.rec->shows("uc", "tc", "c"); }));
  CHECK(b.rec->has_reason("a", "node_up"));
  // Later changes arrive as the owner's deltas.
  b.emit({session("ub", "tb")});
  REQUIRE(wait_until([&] {
    return a.rec->shows("ub", "tb", "b") && c.rec->shows("ub", "tb", "b");
  }));
  CHECK(a.rec->has_reason("b", "replicated"));
  auto removal = session("ub", "tb");
  removal.removed = true;
  b.emit({removal});
  REQUIRE(wait_until([&] {
    return !a.rec->shows("ub", "tb", "b") && !c.rec->shows("ub", "tb", "b");
  }));
  REQUIRE(wait_until([&] {
    return a.digest() == b.digest() && b.digest() == c.digest();
  }));
  CHECK(a.rec->with([](record& r) { return r.nodes.size(); }) == 2);
  for (auto& m : a.members())
    CHECK(m.state == peer_state::up);
}

TEST_CASE("a node that stops leaves every view at once",
          "[cluster][cluster-actor]") {
  node a{"a", {}};
  node b{"b", {a.port}, {session("ub", "tb")}};
  REQUIRE(wait_until([&] { return a.rec->shows("ub", "tb", "b"); }));
  b.stop();
  REQUIRE(wait_until([&] { return !a.rec->shows("ub", "tb", "b"); }));
  CHECK(a.rec->has_reason("b", "node_left"));
  REQUIRE(wait_until([&] { return a.up_peers() == 0; }));
  CHECK(a.rec->with([](record& r) { return r.nodes; })
        == std::vector<std::string>{"+b", "-b"});
}

TEST_CASE("a join with another cluster name is refused on both sides",
          "[cluster][cluster-actor]") {
  node a{"a", {}};
  node d{"d", {a.port}, {}, "other"};
  REQUIRE(wait_until([&] { return d.counters().refused > 0; }));
  REQUIRE(wait_until([&] { return a.counters().refused > 0; }));
  CHECK(a.up_peers() == 0);
  CHECK(d.up_peers() == 0);
}

TEST_CASE("a newer claim on a token moves the session out of the older owner",
          "[cluster][cluster-actor]") {
  auto old_stamp = caf::make_timestamp() - std::chrono::seconds{5};
  node a{"a", {}, {session("u", "t", old_stamp)}};
  node b{"b", {a.port}, {session("u", "t")}};
  // a's copy is older: a moves it out; b keeps its own and never shows a's.
  REQUIRE(wait_until([&] {
    return a.rec->with([](record& r) { return r.moves.size(); }) == 1;
  }));
  CHECK(a.rec->with([](record& r) { return r.moves.front(); }) == "u/t->b");
  // The move and b's session reach the registry as two messages.
  CHECK(wait_until([&] { return a.rec->shows("u", "t", "b"); }));
  CHECK(b.rec->with([](record& r) { return r.moves.empty(); }));
  CHECK(!b.rec->shows("u", "t", "a"));
}

TEST_CASE("a write forwarded to the owner comes back with its answer",
          "[cluster][cluster-actor]") {
  node a{"a", {}, {session("u", "t")}};
  node b{"b", {a.port}};
  REQUIRE(wait_until([&] { return b.rec->shows("u", "t", "a"); }));
  caf::scoped_actor self{*b.sys};
  detail::client_op op;
  op.kind = detail::op_kind::mark_offline;
  op.user.login_id = "u";
  op.user.token = "t";
  detail::op_result result;
  caf::error failure;
  self->request(b.cluster, 10s, detail::forward_atom::value, std::string{"a"},
                op)
    .receive([&](detail::op_result& r) { result = r; },
             [&](caf::error& err) { failure = err; });
  REQUIRE(!failure);
  CHECK(result.change.removed == 1);
  auto seen = a.rec->with([](record& r) { return r.batches; });
  REQUIRE(seen.size() == 1);
  CHECK(seen.front().user.token == "t");
  // A node it has no link to fails the write at once.
  self->request(b.cluster, 10s, detail::forward_atom::value,
                std::string{"nobody"}, op)
    .receive([&](detail::op_result&) { FAIL("answered for a missing node"); },
             [&](caf::error& err) { failure = err; });
  CHECK(failure == caf::exit_reason::remote_link_unreachable);
}

TEST_CASE("what a peer may not send is dropped, and the node lives on",
          "[cluster][cluster-actor]") {
  node a{"a", {}, {session("u", "t")}};
  caf::actor_system_config cfg;
  presence::configure(cfg);
  register_types(cfg);
  cfg.load<caf::io::middleman>();
  caf::actor_system intruder{cfg};
  auto proxy = intruder.middleman().remote_actor("127.0.0.1", a.port);
  REQUIRE(proxy);
  // Both anonymous and named: a peer can send either.
  caf::scoped_actor from{intruder};
  // Not exit_reason::kill: CAF 0.17 makes that one fatal before any handler
  // sees it (start_cluster's supervisor restarts a killed cluster actor).
  caf::anon_send_exit(*proxy, caf::exit_reason::user_shutdown);
  from->send_exit(*proxy, caf::exit_reason::user_shutdown);
  from->send(*proxy, caf::make_error(caf::sec::runtime_error));
  from->send(*proxy, std::string{"unexpected"});
  owner_delta forged;
  forged.owner = "a";
  forged.incarnation = 1;
  forged.seq = 1;
  forged.ops.resize(1);
  forged.ops[0].session.login_id = "x";
  forged.ops[0].session.token = "y";
  forged.ops[0].session.device = "web";
  from->send(*proxy, delta_atom::value, forged);
  caf::anon_send(*proxy, resync_atom::value);
  // The exits and the error are ignored; the string, and the delta and the
  // snapshot request from no peer are dropped.
  REQUIRE(wait_until([&] {
    auto c = a.counters();
    return c.ignored >= 3 && c.dropped >= 3;
  }));
  CHECK(a.members().size() == 1);
  CHECK(a.rec->with([](record& r) { return r.updates.empty(); }));
}

} // namespace cluster_actor_tests

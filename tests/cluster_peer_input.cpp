// A peer's messages to a real cluster actor, without a network: the peer is
// an actor of a second actor system in this process (each system has its
// own node id once the middleman is loaded, and the cluster actor refuses a
// hello from its own node), as in fuzz/cluster_fuzz.cpp. Every step is a request or is followed by one,
// so each check sees the cluster actor after it handled what came before.

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/cluster_actor.hpp"
#include "cluster/type_ids.hpp"
#include "presence/cluster_error.hpp"
#include "presence/config.hpp"
#include "presence/detail/cluster_feed.hpp"

// A namespace per test file: the tests build in unity batches.
namespace cluster_peer_input_tests {

using namespace presence;
using namespace presence::cluster;
using namespace std::chrono_literals;

namespace {

using shown_atom = caf::atom_constant<caf::atom("tShown")>;

/// The registry's side: answers the attach, replays the updates into a
/// table of (login/token -> node) and answers it on request; the answers to
/// routed pushes go on to `watcher`.
caf::behavior table_standin(caf::event_based_actor* self, caf::actor watcher) {
  auto table = std::make_shared<std::map<std::string, std::string>>();
  return {
    [](detail::attach_cluster_atom, const std::string&, const caf::actor&) {
      return detail::local_changes{};
    },
    [=](detail::replica_atom, detail::remote_update& u) {
      for (auto& c : u.changes) {
        auto key = c.session.login_id + "/" + c.session.token;
        if (!c.removed)
          (*table)[key] = u.node;
        else if (auto i = table->find(key);
                 i != table->end() && i->second == u.node)
          table->erase(i);
      }
    },
    [](detail::node_event_atom, bool, const std::string&) {},
    [](detail::peer_stats_atom, const std::vector<peer_stats>&, uint64_t) {},
    [=](detail::routed_atom, std::string& node, uint64_t ticket,
        detail::op_result& r) {
      self->send(watcher, detail::routed_atom::value, std::move(node), ticket,
                 std::move(r));
    },
    [=](shown_atom) {
      std::vector<std::string> out;
      for (auto& [key, node] : *table)
        out.push_back(key + "@" + node);
      return out;
    },
  };
}

/// Without the middleman CAF 0.17 leaves every system's node id invalid,
/// so two systems would look like one node. It is loaded for its node id
/// only: nothing is published or connected.
struct config : caf::actor_system_config {
  config() {
    presence::configure(*this);
    register_types(*this);
    load<caf::io::middleman>();
    set("scheduler.max-threads", 1);
  }
};

hello make_hello(std::string node, incarnation_id incarnation) {
  hello h;
  h.cluster = "test";
  h.self = node_address{std::move(node), "127.0.0.1", 4000, incarnation};
  return h;
}

struct fixture {
  config node_cfg;
  config peer_cfg;
  caf::actor_system node_sys{node_cfg};
  caf::actor_system peer_sys{peer_cfg};
  caf::scoped_actor self{node_sys};
  caf::actor registry
    = node_sys.spawn(table_standin, caf::actor_cast<caf::actor>(self));
  caf::actor cluster;

  explicit fixture(caf::timespan request_timeout = 10s) {
    cluster_config cfg;
    cfg.request_timeout = request_timeout;
    cfg.pusher_timeout = caf::timespan{0};
    cfg.cluster = "test";
    cfg.self = node_address{"m", "127.0.0.1", 4000, 5};
    cluster = spawn_cluster_actor(node_sys, registry, cfg,
                                  [](caf::actor, uint64_t, std::string,
                                     uint16_t) {});
    bool started = false;
    self->request(cluster, 10s, start_atom::value, std::string{"m"},
                  std::string{"127.0.0.1"}, uint16_t{4000})
      .receive([&](bool x) { started = x; }, [](caf::error&) {});
    REQUIRE(started);
  }

  ~fixture() {
    self->send_exit(cluster, caf::exit_reason::user_shutdown);
    self->wait_for(cluster);
    self->send_exit(registry, caf::exit_reason::user_shutdown);
  }

  /// The peer's hello, as a dialing node sends it: the refusal or none.
  caf::error join(caf::scoped_actor& peer, const hello& h) {
    caf::error result;
    peer->request(cluster, 10s, hello_atom::value, h)
      .receive([](hello&) {}, [&](caf::error& err) { result = err; });
    return result;
  }

  std::vector<member_info> members() {
    std::vector<member_info> result;
    self->request(cluster, 10s, members_atom::value)
      .receive([&](std::vector<member_info>& xs) { result = std::move(xs); },
               [](caf::error&) {});
    return result;
  }

  std::vector<std::string> shown() {
    // The cluster actor answers after it told the registry everything
    // before, so the table is up to date once the members answer.
    members();
    std::vector<std::string> result;
    self->request(registry, 10s, shown_atom::value)
      .receive([&](std::vector<std::string>& xs) { result = std::move(xs); },
               [](caf::error&) {});
    return result;
  }

  size_t up_peers() {
    size_t n = 0;
    for (auto& m : members())
      n += !m.self && m.state != peer_state::down ? 1 : 0;
    return n;
  }
};

snapshot_chunk snap(std::string owner, incarnation_id inc) {
  replica_session s{"u", "t", "web", caf::make_timestamp(),
                    caf::make_timestamp(), {}};
  return snapshot_chunk{std::move(owner), inc, 0, 0, true, {s}};
}

} // namespace

TEST_CASE("a peer from another system joins and replicates",
          "[cluster][cluster_peer_input]") {
  fixture f;
  {
    caf::scoped_actor peer{f.peer_sys};
    REQUIRE(!f.join(peer, make_hello("p", 7)));
    peer->send(f.cluster, snapshot_atom::value, snap("p", 7));
    CHECK(f.shown() == std::vector<std::string>{"u/t@p"});
    CHECK(f.up_peers() == 1);
  }
  // Its actor is gone, as with a lost link: so are its sessions.
  CHECK(f.shown().empty());
  CHECK(f.up_peers() == 0);
}

TEST_CASE("a joined link cannot join again as another node",
          "[cluster][cluster_peer_input]") {
  fixture f;
  {
    caf::scoped_actor peer{f.peer_sys};
    REQUIRE(!f.join(peer, make_hello("p", 7)));
    peer->send(f.cluster, snapshot_atom::value, snap("p", 7));
    CHECK(f.shown() == std::vector<std::string>{"u/t@p"});
    // The same actor claims to be "q" now, or "p" restarted: refused, and
    // "p" is still the node behind the link.
    auto err = f.join(peer, make_hello("q", 9));
    CHECK(is(err, cluster_error::join_refused));
    err = f.join(peer, make_hello("p", 8));
    CHECK(is(err, cluster_error::join_refused));
    // The same hello again changes nothing.
    CHECK(!f.join(peer, make_hello("p", 7)));
    CHECK(f.up_peers() == 1);
    CHECK(f.shown() == std::vector<std::string>{"u/t@p"});
  }
  // The link is lost: nothing of "p" may stay up or shown.
  CHECK(f.up_peers() == 0);
  CHECK(f.shown().empty());
}

TEST_CASE("an ack of another incarnation or past what was sent is dropped",
          "[cluster][cluster_peer_input][peer-window]") {
  fixture f;
  auto dropped = [&] {
    f.members();
    uint64_t n = 0;
    f.self->request(f.cluster, 10s, stats_atom::value)
      .receive([&](cluster_counters& c) { n = c.dropped; },
               [](caf::error&) {});
    return n;
  };
  caf::scoped_actor peer{f.peer_sys};
  REQUIRE(!f.join(peer, make_hello("p", 7)));
  // The node sent its snapshot at seq 0 (it has no changes): an ack of
  // seq 0 of its incarnation (5) is right; seq 1 was never sent, and
  // incarnation 6 is not the node's.
  auto window_of_p = [&] {
    for (auto& m : f.members())
      if (m.node == "p")
        return m.window_bytes;
    return uint64_t{0};
  };
  auto before = dropped();
  CHECK(window_of_p() > 0);
  peer->send(f.cluster, ack_atom::value, incarnation_id{5}, seq_number{0});
  CHECK(dropped() == before);
  CHECK(window_of_p() == 0);
  peer->send(f.cluster, ack_atom::value, incarnation_id{5}, seq_number{1});
  CHECK(dropped() == before + 1);
  peer->send(f.cluster, ack_atom::value, incarnation_id{6}, seq_number{0});
  CHECK(dropped() == before + 2);
  CHECK(f.up_peers() == 1);
  for (auto& m : f.members())
    if (m.node == "p")
      CHECK(m.state == peer_state::up);
}

namespace {

detail::client_op routed(std::vector<std::string> login_ids, uint64_t ticket) {
  detail::client_op op;
  op.kind = detail::op_kind::push_users;
  op.login_ids = std::move(login_ids);
  op.message.content = "hi";
  op.ticket = ticket;
  return op;
}

/// The registry's push to `node`'s sessions, under the registry's `ticket`.
void route(fixture& f, std::string node, std::vector<std::string> login_ids,
           uint64_t ticket) {
  f.self->send(f.cluster, detail::route_atom::value, std::move(node),
               routed(std::move(login_ids), ticket));
}

/// The next routed push the peer gets from the node (other messages stay).
detail::client_op next_route(caf::scoped_actor& peer) {
  detail::client_op result;
  bool got = false;
  peer->receive(
    [&](detail::route_atom, detail::client_op& op) {
      got = true;
      result = std::move(op);
    },
    caf::after(std::chrono::seconds(10)) >> [] {});
  if (!got)
    FAIL("no routed push reached the peer");
  return result;
}

/// `peer` joins as node "p" of `incarnation` and gets one routed push for
/// "u1", under the registry's `ticket`.
void join_with_push(fixture& f, caf::scoped_actor& peer,
                    incarnation_id incarnation, uint64_t ticket) {
  REQUIRE(!f.join(peer, make_hello("p", incarnation)));
  route(f, "p", {"u1"}, ticket);
  next_route(peer);
}

/// The next answer the registry gets for a routed push: node, its ticket,
/// and the result.
struct route_answer {
  std::string node;
  uint64_t ticket = 0;
  detail::op_result result;
};

route_answer next_answer(caf::scoped_actor& self) {
  route_answer a;
  bool got = false;
  self->receive(
    [&](detail::routed_atom, std::string& node, uint64_t ticket,
        detail::op_result& r) {
      got = true;
      a = route_answer{std::move(node), ticket, std::move(r)};
    },
    caf::after(std::chrono::seconds(10)) >> [] {});
  if (!got)
    FAIL("the registry got no answer for its routed push");
  return a;
}

} // namespace

TEST_CASE("a routed push goes to its owner one-way and the answer back once",
          "[cluster][cluster_peer_input][routed]") {
  fixture f;
  caf::scoped_actor peer{f.peer_sys};
  REQUIRE(!f.join(peer, make_hello("p", 7)));
  route(f, "p", {"u1", "u2"}, 41);
  auto op = next_route(peer);
  CHECK(op.login_ids == std::vector<std::string>{"u1", "u2"});
  detail::op_result r;
  r.report.users_reached = 2;
  peer->send(f.cluster, detail::routed_atom::value, op.ticket, r);
  auto a = next_answer(f.self);
  CHECK(a.node == "p");
  CHECK(a.ticket == 41);
  CHECK_FALSE(a.result.err);
  CHECK(a.result.report.users_reached == 2);
  // A second answer, or one from a stranger, is dropped: the next answer
  // the registry gets is the failure of a push to a node not in the view.
  peer->send(f.cluster, detail::routed_atom::value, op.ticket, r);
  caf::scoped_actor stranger{f.peer_sys};
  stranger->send(f.cluster, detail::routed_atom::value, op.ticket, r);
  route(f, "x", {"u3"}, 43);
  a = next_answer(f.self);
  CHECK(a.node == "x");
  CHECK(a.ticket == 43);
  CHECK(a.result.err == caf::exit_reason::remote_link_unreachable);
}

TEST_CASE("a routed push fails at once when its owner is lost",
          "[cluster][cluster_peer_input][routed]") {
  fixture f;
  {
    caf::scoped_actor peer{f.peer_sys};
    join_with_push(f, peer, 7, 5);
  }
  // The request timeout is 10 s: an answer sooner is the loss.
  auto a = next_answer(f.self);
  CHECK(a.ticket == 5);
  CHECK(a.result.err == caf::exit_reason::remote_link_unreachable);
}

TEST_CASE("a routed push its owner never answers fails with request_timeout",
          "[cluster][cluster_peer_input][routed]") {
  fixture f{caf::timespan{1ms}};
  caf::scoped_actor peer{f.peer_sys};
  join_with_push(f, peer, 7, 9);
  auto a = next_answer(f.self);
  CHECK(a.ticket == 9);
  CHECK(a.result.err == caf::sec::request_timeout);
  CHECK(f.up_peers() == 1);
}

TEST_CASE("what waits on an old incarnation fails when a new one joins",
          "[cluster][cluster_peer_input][routed]") {
  fixture f;
  caf::scoped_actor old_peer{f.peer_sys};
  join_with_push(f, old_peer, 7, 5);
  detail::client_op kick;
  kick.kind = detail::op_kind::kick_session;
  kick.user.login_id = "u1";
  kick.user.token = "t1";
  auto write = f.self->request(f.cluster, 20s, detail::forward_atom::value,
                               std::string{"p"}, kick);
  // The restarted node joins before the old one's link is seen down (the
  // old actor here never goes down): neither may wait for the old one.
  caf::scoped_actor new_peer{f.peer_sys};
  REQUIRE(!f.join(new_peer, make_hello("p", 8)));
  auto a = next_answer(f.self);
  CHECK(a.ticket == 5);
  CHECK(a.result.err == caf::exit_reason::remote_link_unreachable);
  caf::error write_err;
  write.receive([](detail::op_result&) {},
                [&](caf::error& err) { write_err = err; });
  CHECK(write_err == caf::exit_reason::remote_link_unreachable);
}

} // namespace cluster_peer_input_tests

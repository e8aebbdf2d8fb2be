// Pushes and kicks across nodes: three nodes in one process, each with a
// real registry, facade and in-memory pusher, joined over loopback. A push
// goes to each owner node once and is delivered there by that node's
// pusher. Every check waits for the state it expects, never for time.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include "cluster_fixture.hpp"
#include "test_util.hpp"
#include "spawn_fn.hpp"

// A namespace per test file: the tests build in unity batches.
namespace cluster_push_tests {

using namespace presence;
using namespace std::chrono_literals;
using test::wait_until;

namespace {

using test::cluster_node;

/// A node with an in-memory pusher. A stuck pusher must not answer with its
/// own timeout before the test stops its node.
struct push_node : cluster_node {
  push_node(const std::string& name, std::vector<uint16_t> seeds,
            bool with_pusher = true,
            std::function<void(caf::actor_system_config&)> tweak = {})
    : cluster_node(name, std::move(seeds),
                   options{tls::off, with_pusher, 60s, std::move(tweak)}) {
  }
};

/// A pusher that takes batches and never answers them; counts them.
struct stuck_pusher {
  std::shared_ptr<std::atomic<int>> taken
    = std::make_shared<std::atomic<int>>(0);
  caf::actor actor;

  explicit stuck_pusher(push_node& n) {
    actor = test::spawn_fn(*n.sys, [taken = taken](caf::event_based_actor*) {
      return caf::behavior{
        [taken](deliver_atom, const delivery_batch&) -> caf::result<void> {
          ++*taken;
          return caf::delegated<void>{};
        },
      };
    });
    REQUIRE(
      n.manager->register_pusher(caf::actor_cast<pusher_actor>(actor)).get());
  }

  ~stuck_pusher() {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  }
};

/// Three linked nodes a, b, c.
struct trio {
  push_node a{"a", {}};
  push_node b{"b", {a.port}};
  push_node c{"c", {a.port}};

  trio() {
    if (!wait_until([&] {
          return a.up_peers() == 2 && b.up_peers() == 2 && c.up_peers() == 2;
        }))
      FAIL("the nodes did not join: " << a.describe() << " | "
                                      << b.describe() << " | "
                                      << c.describe());
  }

  /// Waits until every node sees `n` sessions of `login`.
  void settle(const std::string& login, size_t n) {
    for (auto* x : {&a, &b, &c})
      REQUIRE(wait_until([&] { return x->sessions_of(login) == n; }));
  }
};

} // namespace

TEST_CASE("a push to a user with sessions on two other nodes reaches both",
          "[cluster][cluster-push]") {
  trio t;
  REQUIRE(t.b.manager->mark_online(make_online_user("u", "t1", "web")).get());
  REQUIRE(t.b.manager->mark_online(make_online_user("u", "t2", "ios")).get());
  REQUIRE(t.c.manager->mark_online(make_online_user("u", "t3", "web")).get());
  t.settle("u", 3);
  auto rep = t.a.manager->push_to_user("u", "hello").get();
  REQUIRE(rep);
  CHECK(rep->users_targeted == 1);
  CHECK(rep->users_reached == 1);
  CHECK(rep->sessions_reached == 3);
  CHECK(rep->failed_pushers.empty());
  CHECK(rep->not_online.empty());
  for (auto* n : {&t.b, &t.c}) {
    REQUIRE(wait_until([&] { return n->got("u").size() == 1; }));
    auto m = n->got("u").front();
    CHECK(m.content == "hello");
    // The origin stamped the message; the owner kept its id and time.
    CHECK(m.message_id == rep->message_id);
    CHECK(m.timestamp.time_since_epoch().count() != 0);
  }
  CHECK(t.b.got("u").front().timestamp == t.c.got("u").front().timestamp);
  CHECK(t.a.got("u").empty());
}

TEST_CASE("push_to_users across owners counts every user once",
          "[cluster][cluster-push]") {
  trio t;
  REQUIRE(t.a.manager->mark_online(make_online_user("x", "x1", "web")).get());
  REQUIRE(t.b.manager->mark_online(make_online_user("y", "y1", "web")).get());
  REQUIRE(t.c.manager->mark_online(make_online_user("y", "y2", "web")).get());
  REQUIRE(t.c.manager->mark_online(make_online_user("z", "z1", "web")).get());
  t.settle("x", 1);
  t.settle("y", 2);
  t.settle("z", 1);
  auto rep
    = t.a.manager->push_to_users({"x", "y", "z", "nobody"}, "hi").get();
  REQUIRE(rep);
  CHECK(rep->users_targeted == 3);
  CHECK(rep->users_reached == 3);
  CHECK(rep->sessions_reached == 4);
  CHECK(rep->not_online == std::vector<std::string>{"nobody"});
  REQUIRE(wait_until([&] { return t.a.got("x").size() == 1; }));
  REQUIRE(wait_until([&] { return t.b.got("y").size() == 1; }));
  REQUIRE(wait_until([&] { return t.c.got("y").size() == 1; }));
  REQUIRE(wait_until([&] { return t.c.got("z").size() == 1; }));
  CHECK(t.b.got("x").empty());
  CHECK(t.b.got("z").empty());
}

TEST_CASE("a broadcast reaches every session on every node once",
          "[cluster][cluster-push]") {
  trio t;
  REQUIRE(t.a.manager->mark_online(make_online_user("p", "p1", "web")).get());
  REQUIRE(t.b.manager->mark_online(make_online_user("p", "p2", "web")).get());
  REQUIRE(t.b.manager->mark_online(make_online_user("q", "q1", "web")).get());
  REQUIRE(t.c.manager->mark_online(make_online_user("r", "r1", "web")).get());
  REQUIRE(t.c.manager->mark_online(make_online_user("r", "r2", "ios")).get());
  t.settle("p", 2);
  t.settle("q", 1);
  t.settle("r", 2);
  auto rep = t.a.manager->broadcast("all").get();
  REQUIRE(rep);
  CHECK(rep->users_targeted == 3);
  CHECK(rep->users_reached == 3);
  CHECK(rep->sessions_reached == 5);
  CHECK(rep->failed_pushers.empty());
  REQUIRE(wait_until([&] { return t.a.got("p").size() == 1; }));
  REQUIRE(wait_until([&] { return t.b.got("p").size() == 1; }));
  REQUIRE(wait_until([&] { return t.b.got("q").size() == 1; }));
  REQUIRE(wait_until([&] { return t.c.got("r").size() == 1; }));
  CHECK(t.a.got("q").empty());
  CHECK(t.a.got("r").empty());
  CHECK(t.b.got("r").empty());
  CHECK(t.c.got("p").empty());
  CHECK(t.c.got("q").empty());
  // Once: a second look after another round trip finds nothing new.
  REQUIRE(t.a.manager->push_to_user("q", "after").get());
  REQUIRE(wait_until([&] { return t.b.got("q").size() == 2; }));
  CHECK(t.c.got("r").size() == 1);
  CHECK(t.b.got("p").size() == 1);
}

TEST_CASE("kick_out_notify on another node's user is delivered by its owner",
          "[cluster][cluster-push]") {
  trio t;
  REQUIRE(t.b.manager->mark_online(make_online_user("k", "k1", "web")).get());
  REQUIRE(t.b.manager->mark_online(make_online_user("k", "k2", "ios")).get());
  t.settle("k", 2);
  auto rep = t.a.manager->kick_out_notify("k", "bye").get();
  REQUIRE(rep);
  CHECK(rep->users_reached == 1);
  CHECK(rep->sessions_reached == 2);
  REQUIRE(wait_until([&] { return t.b.got("k").size() == 1; }));
  auto m = t.b.got("k").front();
  CHECK(m.type == message_type::kick_out());
  CHECK(m.content == "bye");
  CHECK(t.a.got("k").empty());
  CHECK(t.c.got("k").empty());
  t.settle("k", 0);
}

TEST_CASE("pushes from one node to one user arrive in the order pushed",
          "[cluster][cluster-push]") {
  trio t;
  REQUIRE(t.b.manager->mark_online(make_online_user("o", "o1", "web")).get());
  t.settle("o", 1);
  std::vector<pending<delivery_report>> calls;
  for (int i = 0; i < 100; ++i)
    calls.push_back(t.a.manager->push_to_user("o", std::to_string(i)));
  for (auto& c : calls) {
    auto rep = c.get();
    REQUIRE(rep);
    CHECK(rep->users_reached == 1);
  }
  REQUIRE(wait_until([&] { return t.b.got("o").size() == 100; }));
  auto got = t.b.got("o");
  for (int i = 0; i < 100; ++i)
    CHECK(got[i].content == std::to_string(i));
}

TEST_CASE("a push whose owner node stops mid-way fails that part",
          "[cluster][cluster-push]") {
  push_node a{"a", {}};
  push_node b{"b", {a.port}, false};
  REQUIRE(wait_until([&] { return a.up_peers() == 1 && b.up_peers() == 1; }));
  // b's pusher takes batches and never answers them.
  stuck_pusher stuck{b};
  REQUIRE(b.manager->mark_online(make_online_user("s", "s1", "web")).get());
  REQUIRE(wait_until([&] { return a.sessions_of("s") == 1; }));
  auto call = a.manager->push_to_user("s", "lost");
  REQUIRE(wait_until([&] { return stuck.taken->load() == 1; }));
  b.stop();
  auto rep = call.get();
  REQUIRE(rep);
  CHECK(rep->users_reached == 0);
  REQUIRE(rep->failed_pushers.size() == 1);
  CHECK(rep->failed_pushers[0].node == "b");
  CHECK(rep->failed_pushers[0].reason
        == caf::make_error(caf::exit_reason::remote_link_unreachable));
}

TEST_CASE("a write forwarded to an owner that is killed fails at once",
          "[cluster][cluster-push]") {
  // A request timeout of an hour: a forward that waited for it would run
  // into the test's own timeout instead of failing.
  auto patient = [](caf::actor_system_config& cfg) {
    caf::put(cfg.content, "presence.cluster.request-timeout",
             caf::timespan{std::chrono::hours(1)});
  };
  push_node a{"a", {}, true, patient};
  push_node b{"b", {a.port}, false, patient};
  REQUIRE(wait_until([&] { return a.up_peers() == 1 && b.up_peers() == 1; }));
  // b kicks through a pusher that never answers: the forwarded kick stays
  // open on b until b's cluster actor dies.
  stuck_pusher stuck{b};
  REQUIRE(b.manager->mark_online(make_online_user("s", "s1", "web")).get());
  REQUIRE(wait_until([&] { return a.sessions_of("s") == 1; }));
  auto call = a.manager->kick_out_session("s", "s1", "bye");
  REQUIRE(wait_until([&] { return stuck.taken->load() == 1; }));
  // Killed as a peer can kill it (cluster_nodes.cpp): a loses the link.
  auto proxy = a.sys->middleman().remote_actor("127.0.0.1", b.port);
  REQUIRE(proxy);
  caf::anon_send_exit(*proxy, caf::exit_reason::kill);
  auto rep = call.get();
  REQUIRE(!rep);
  INFO(caf::to_string(rep.error()));
  CHECK(rep.error()
        == caf::make_error(caf::exit_reason::remote_link_unreachable));
}

TEST_CASE("the offline buffer delivers when the user logs in on another node",
          "[cluster][cluster-push]") {
  trio t;
  auto msg = make_text_message("kept");
  msg.keep_if_offline = true;
  auto rep = t.a.manager->push_message_to_user("late", msg).get();
  REQUIRE(rep);
  CHECK(rep->buffered == 1);
  CHECK(rep->not_online == std::vector<std::string>{"late"});
  REQUIRE(t.b.manager->mark_online(make_online_user("late", "l1", "web")).get());
  REQUIRE(wait_until([&] { return t.b.got("late").size() == 1; }));
  CHECK(t.b.got("late").front().content == "kept");
  CHECK(t.b.got("late").front().message_id == rep->message_id);
  CHECK(t.a.got("late").empty());
  CHECK(t.c.got("late").empty());
}

} // namespace cluster_push_tests

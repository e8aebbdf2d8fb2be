// The registry's side of the cluster contract (cluster_feed.hpp), driven
// through a real registry by a scoped actor that plays the node's cluster
// actor: attach, local changes out, replicas in, moves, node events,
// forwarded writes, and who may send what.

#include "test_util.hpp"

#include "presence/detail/cluster_feed.hpp"
#include "presence/detail/internal_interfaces.hpp"
#include "registry/cluster_link.hpp"

// A namespace per test file: the tests build in unity batches.
namespace cluster_feed_tests {

using namespace presence;
using namespace presence::detail;
using namespace test;
using namespace std::chrono_literals;

namespace {

using str = std::string;

struct cluster_fixture {
  env e;
  registry_actor reg;
  registry_internal_actor ireg;
  /// Plays the cluster actor.
  caf::scoped_actor cl{e.sys};
  /// Subscribes to presence events.
  caf::scoped_actor ev{e.sys};
  /// Makes the calls.
  caf::scoped_actor self{e.sys};

  explicit cluster_fixture(const config_tweak& f = nullptr) : e(f) {
    reg = ok(spawn_registry(e.sys));
    ireg = caf::actor_cast<registry_internal_actor>(reg);
  }

  ~cluster_fixture() {
    caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
  }

  caf::expected<local_changes> attach(caf::scoped_actor& from, str node) {
    return ask<local_changes>(from, ireg, attach_cluster_atom::value,
                              std::move(node), caf::actor_cast<caf::actor>(cl));
  }

  /// The next (local_changes_atom, xs) the registry sends the cluster actor.
  local_changes next_changes() {
    local_changes result;
    bool got = false;
    cl->receive(
      [&](local_changes_atom, local_changes& xs) {
        result = std::move(xs);
        got = true;
      },
      caf::after(std::chrono::seconds(10)) >> [] {});
    if (!got)
      FAIL("no local changes arrived");
    return result;
  }

  void subscribe() {
    auto sub = caf::actor_cast<event_subscriber_actor>(ev);
    CHECK(ok(ask<change_result>(self, reg, subscribe_events_atom::value, sub))
            .status
          == change_status::subscribed);
  }

  /// Waits for `n` more events: "kind login token node reason" each.
  std::vector<str> events(size_t n) {
    std::vector<str> result;
    while (result.size() < n) {
      bool got = false;
      ev->receive(
        [&](presence_events_atom, presence_events& xs) {
          got = true;
          for (auto& x : xs.events)
            result.push_back(to_string(x.kind) + " " + x.session.login_id + " "
                             + x.session.token + " " + x.session.node + " "
                             + x.reason);
        },
        caf::after(std::chrono::seconds(10)) >> [] {});
      if (!got)
        FAIL("missing events; got " << result.size() << " of " << n);
    }
    return result;
  }

  template <class... Ts>
  change_result change(Ts&&... xs) {
    return ok(ask<change_result>(self, reg, std::forward<Ts>(xs)...));
  }

  void replica(str node, str reason, std::vector<remote_change> xs) {
    remote_update update{std::move(node), std::move(reason), {}};
    update.changes.assign(xs.begin(), xs.end());
    cl->send(ireg, replica_atom::value, std::move(update));
  }

  /// Waits for a forwarded write, answers it with `answer` and returns it.
  std::pair<str, client_op> answer_forward(op_result answer) {
    std::pair<str, client_op> result;
    bool got = false;
    cl->receive(
      [&](forward_atom, str& node, client_op& op) {
        got = true;
        result = {node, op};
        return answer;
      },
      caf::after(std::chrono::seconds(10)) >> [] {});
    if (!got)
      FAIL("no forwarded write arrived");
    return result;
  }

  /// Waits for a routed push, answers it with `answer` and returns it.
  std::pair<str, client_op> answer_route(op_result answer) {
    std::pair<str, client_op> result;
    bool got = false;
    cl->receive(
      [&](route_atom, str& node, client_op& op) {
        // One-way: the answer goes back under the registry's ticket.
        got = true;
        result = {node, op};
        cl->send(ireg, routed_atom::value, node, op.ticket,
                 answer);
      },
      caf::after(std::chrono::seconds(10)) >> [] {});
    if (!got)
      FAIL("no routed push arrived");
    return result;
  }

  std::vector<online_user> sessions(const str& login_id) {
    return ok(ask<std::vector<online_user>>(self, reg,
                                            user_sessions_atom::value,
                                            login_id));
  }

  uint64_t rejected() {
    return ok(ask<presence_stats>(self, reg, stats_atom::value)).rejected;
  }
};

remote_change upsert(str login_id, str token, str device = "web") {
  remote_change c;
  c.session = user(std::move(login_id), std::move(token), std::move(device));
  return c;
}

remote_change removal(str login_id, str token) {
  remote_change c;
  c.removed = true;
  c.session.login_id = std::move(login_id);
  c.session.token = std::move(token);
  return c;
}

str describe(const local_change& x) {
  return str{x.removed ? "-" : "+"} + x.session.login_id + "/"
         + x.session.token + "@" + x.session.node;
}

std::vector<str> describe(const local_changes& xs) {
  std::vector<str> result;
  for (auto& x : xs)
    result.push_back(describe(x));
  return result;
}

} // namespace

TEST_CASE("cluster feed: attach answers with the local sessions, once",
          "[cluster_feed]") {
  cluster_fixture f;
  f.change(mark_online_atom::value, user("alice", "a1", "web"));
  f.change(mark_online_atom::value, user("alice", "a2", "ios"));
  f.change(mark_online_atom::value, user("bob", "b1", "web"));
  auto xs = ok(f.attach(f.cl, "n1"));
  CHECK(sorted(describe(xs))
        == std::vector<str>{"+alice/a1@n1", "+alice/a2@n1", "+bob/b1@n1"});
  // Local sessions name the node from now on.
  for (auto& s : f.sessions("alice"))
    CHECK(s.node == "n1");
  // A second attach gets a clear error.
  auto again = f.attach(f.cl, "n1");
  REQUIRE_FALSE(again);
  CHECK(is(again.error(), error::cluster_already_attached));
}

TEST_CASE("cluster feed: local changes go out in order, activity does not",
          "[cluster_feed]") {
  cluster_fixture f;
  REQUIRE(ok(f.attach(f.cl, "n1")).empty());
  auto old = user("alice", "a1", "web");
  old.connect_time = caf::timestamp{std::chrono::seconds(1000)};
  f.change(mark_online_atom::value, old);
  auto xs = f.next_changes();
  REQUIRE(xs.size() == 1);
  CHECK(describe(xs[0]) == "+alice/a1@n1");
  // The registry stamps connect_time once clustered.
  CHECK(xs[0].session.connect_time != old.connect_time);
  CHECK(xs[0].session.connect_time.time_since_epoch().count() > 0);
  // The caller's last_activity came before that stamp: it is raised to it.
  CHECK(xs[0].session.last_activity == xs[0].session.connect_time);
  // A later one is the caller's to give.
  auto later = user("alice", "a2", "ios");
  later.last_activity = caf::make_timestamp() + std::chrono::hours(1);
  f.change(mark_online_atom::value, later);
  xs = f.next_changes();
  REQUIRE(xs.size() == 1);
  CHECK(describe(xs[0]) == "+alice/a2@n1");
  CHECK(xs[0].session.last_activity == later.last_activity);
  // A bare activity update is not replicated: the next delta is the
  // metadata change.
  CHECK(f.change(update_activity_atom::value, str{"alice"}, str{"a1"}).status
        == change_status::refreshed);
  CHECK(f.change(update_metadata_atom::value, str{"alice"}, str{"a1"},
                 metadata_map{{"k", "v"}})
          .status
        == change_status::updated);
  xs = f.next_changes();
  REQUIRE(xs.size() == 1);
  CHECK(describe(xs[0]) == "+alice/a1@n1");
  CHECK(xs[0].session.metadata == metadata_map{{"k", "v"}});
  CHECK(f.change(mark_offline_atom::value, str{"alice"}, str{"a2"}).status
        == change_status::left);
  CHECK(describe(f.next_changes()) == std::vector<str>{"-alice/a2@n1"});
  ok(ask<delivery_report>(f.self, f.reg, kick_atom::value, str{"alice"},
                          str{"bye"}));
  CHECK(describe(f.next_changes()) == std::vector<str>{"-alice/a1@n1"});
}

TEST_CASE("cluster feed: a burst of changes goes out in messages of "
          "max_batch, in order",
          "[cluster_feed]") {
  cluster_fixture f;
  ok(f.attach(f.cl, "n1"));
  // One client batch: the registry handles every login in one go.
  constexpr size_t n = cluster_link::max_batch + 100;
  std::vector<client_op> ops(n);
  for (size_t i = 0; i < n; ++i) {
    ops[i].kind = op_kind::mark_online;
    ops[i].ticket = i + 1;
    ops[i].user = user("u" + std::to_string(i), "t", "web");
  }
  f.self->send(caf::actor_cast<caf::actor>(f.reg), batch_atom::value,
               client_batch{caf::actor_cast<caf::actor>(f.self),
                            std::move(ops)});
  auto first = f.next_changes();
  auto second = f.next_changes();
  REQUIRE(first.size() == cluster_link::max_batch);
  REQUIRE(second.size() == n - cluster_link::max_batch);
  CHECK(describe(first[0]) == "+u0/t@n1");
  CHECK(describe(second.back()) == "+u" + std::to_string(n - 1) + "/t@n1");
}

TEST_CASE("cluster feed: idle expiry is replicated", "[cluster_feed]") {
  cluster_fixture f{[](caf::actor_system_config& cfg) {
    cfg.set("presence.idle-timeout", caf::timespan{200ms});
  }};
  ok(f.attach(f.cl, "n1"));
  f.change(mark_online_atom::value, user("alice", "a1", "web"));
  CHECK(describe(f.next_changes()) == std::vector<str>{"+alice/a1@n1"});
  CHECK(describe(f.next_changes()) == std::vector<str>{"-alice/a1@n1"});
}

TEST_CASE("cluster feed: remote sessions answer every query, with events",
          "[cluster_feed]") {
  cluster_fixture f;
  ok(f.attach(f.cl, "n1"));
  f.subscribe();
  f.replica("n2", "replicated",
            {upsert("carol", "c1"), upsert("carol", "c2", "ios")});
  CHECK(ok(ask<bool>(f.self, f.reg, is_online_atom::value, str{"carol"})));
  CHECK(ok(ask<uint64_t>(f.self, f.reg, online_count_atom::value)) == 1u);
  CHECK(ok(ask<uint64_t>(f.self, f.reg, session_count_atom::value)) == 2u);
  auto ss = f.sessions("carol");
  REQUIRE(ss.size() == 2);
  CHECK(ss[0].node == "n2");
  CHECK(ss[1].node == "n2");
  CHECK(f.events(3)
        == std::vector<str>{"online carol c1 n2 replicated",
                            "joined carol c1 n2 replicated",
                            "joined carol c2 n2 replicated"});
  auto changed = upsert("carol", "c1");
  changed.session.metadata = {{"k", "v"}};
  f.replica("n2", "replicated", {changed});
  CHECK(f.events(1) == std::vector<str>{"updated carol c1 n2 replicated"});
  // A local login of a user that is online elsewhere: joined, not online.
  f.change(mark_online_atom::value, user("carol", "c3", "web"));
  CHECK(f.events(1) == std::vector<str>{"joined carol c3 n1 login"});
  CHECK(describe(f.next_changes()) == std::vector<str>{"+carol/c3@n1"});
  f.replica("n2", "node_down", {removal("carol", "c1"), removal("carol", "c2")});
  CHECK(f.events(2)
        == std::vector<str>{"left carol c1 n2 node_down",
                            "left carol c2 n2 node_down"});
  CHECK(f.change(mark_offline_atom::value, str{"carol"}, str{"c3"}).status
        == change_status::user_offline);
  CHECK(f.events(2)
        == std::vector<str>{"left carol c3 n1 logout",
                            "offline carol c3 n1 logout"});
  // The last remote session takes the user offline.
  f.replica("n3", "node_up", {upsert("dave", "d1")});
  f.replica("n3", "replicated", {removal("dave", "d1")});
  CHECK(f.events(4)
        == std::vector<str>{"online dave d1 n3 node_up",
                            "joined dave d1 n3 node_up",
                            "left dave d1 n3 replicated",
                            "offline dave d1 n3 replicated"});
  CHECK_FALSE(ok(ask<bool>(f.self, f.reg, is_online_atom::value, str{"dave"})));
  CHECK(ok(ask<uint64_t>(f.self, f.reg, online_count_atom::value)) == 0u);
}

TEST_CASE("cluster feed: a remote claim never replaces a local session",
          "[cluster_feed]") {
  cluster_fixture f;
  ok(f.attach(f.cl, "n1"));
  f.change(mark_online_atom::value, user("alice", "a1", "web"));
  f.next_changes();
  f.replica("n2", "replicated", {upsert("alice", "a1", "ios"),
                                 removal("alice", "a1"), upsert("", "x")});
  auto ss = f.sessions("alice");
  REQUIRE(ss.size() == 1);
  CHECK(ss[0].node == "n1");
  CHECK(ss[0].device == "web");
  // A replica of this node's own name or from an empty node is dropped.
  f.replica("n1", "replicated", {upsert("zed", "z1")});
  f.replica("", "replicated", {upsert("zed", "z1")});
  CHECK(f.sessions("zed").empty());
}

TEST_CASE("cluster feed: a move out drops the local session with `moved`",
          "[cluster_feed]") {
  cluster_fixture f;
  ok(f.attach(f.cl, "n1"));
  f.subscribe();
  f.change(mark_online_atom::value, user("alice", "a1", "web"));
  f.next_changes();
  f.events(2); // online, joined
  f.cl->send(f.ireg, move_out_atom::value, str{"alice"}, str{"a1"},
             str{"n2"});
  CHECK(describe(f.next_changes()) == std::vector<str>{"-alice/a1@n1"});
  CHECK(f.events(2)
        == std::vector<str>{"moved alice a1 n1 n2", "offline alice a1 n1 n2"});
  CHECK(f.sessions("alice").empty());
  // Node events name only the node.
  f.cl->send(f.ireg, node_event_atom::value, true, str{"n2"});
  f.cl->send(f.ireg, node_event_atom::value, false, str{"n2"});
  CHECK(f.events(2)
        == std::vector<str>{"node_up   n2 node_up", "node_down   n2 node_down"});
}

TEST_CASE("cluster feed: only the attached actor of this node feeds",
          "[cluster_feed]") {
  cluster_fixture f;
  // Before attach nobody may feed replicas.
  f.replica("n2", "replicated", {upsert("carol", "c1")});
  CHECK(f.sessions("carol").empty());
  ok(f.attach(f.cl, "n1"));
  auto before = f.rejected();
  caf::scoped_actor stranger{f.e.sys};
  stranger->send(f.ireg, replica_atom::value,
                 remote_update{"n2", "replicated", {upsert("carol", "c1")}});
  stranger->send(f.ireg, move_out_atom::value, str{"a"}, str{"b"}, str{"n2"});
  stranger->send(f.ireg, node_event_atom::value, true, str{"n2"});
  CHECK(f.sessions("carol").empty());
  CHECK(f.rejected() == before + 3);
  auto again = f.attach(stranger, "n9");
  REQUIRE_FALSE(again);
  CHECK(is(again.error(), error::cluster_already_attached));
}

TEST_CASE("cluster feed: a write on a remote session goes to its owner",
          "[cluster_feed]") {
  cluster_fixture f;
  ok(f.attach(f.cl, "n1"));
  f.replica("n2", "replicated", {upsert("carol", "c1")});
  auto h = f.self->request(f.reg, 10s, mark_offline_atom::value, str{"carol"},
                           str{"c1"});
  op_result answer;
  answer.change = change_result{change_status::user_offline, 0, 1};
  auto [node, op] = f.answer_forward(answer);
  CHECK(node == "n2");
  CHECK(op.kind == op_kind::mark_offline);
  CHECK(op.user.login_id == "carol");
  CHECK(op.user.token == "c1");
  change_result got;
  h.receive([&](change_result& r) { got = r; },
            [&](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(got.status == change_status::user_offline);
  CHECK(got.removed == 1u);
  // The replica stays until its owner's delta says otherwise.
  CHECK(f.sessions("carol").size() == 1);
  // An error from the owner reaches the caller.
  auto h2 = f.self->request(f.reg, 10s, update_activity_atom::value,
                            str{"carol"}, str{"c1"});
  op_result failed;
  failed.err = make_error(error::registry_down);
  CHECK(f.answer_forward(failed).second.kind == op_kind::update_activity);
  caf::error err;
  h2.receive([&](change_result&) { FAIL("expected an error"); },
             [&](caf::error& x) { err = x; });
  CHECK(is(err, error::registry_down));
}

TEST_CASE("cluster feed: a logout of every session merges the owners' parts",
          "[cluster_feed]") {
  cluster_fixture f;
  ok(f.attach(f.cl, "n1"));
  f.change(mark_online_atom::value, user("alice", "a1", "web"));
  f.next_changes();
  f.replica("n2", "replicated", {upsert("alice", "b1")});
  f.replica("n3", "replicated", {upsert("alice", "c1"), upsert("alice", "c2")});
  auto h = f.self->request(f.reg, 10s, mark_offline_all_atom::value,
                           str{"alice"});
  std::vector<str> nodes;
  for (int i = 0; i < 2; ++i) {
    op_result answer;
    // Each owner removes its own; n3 answers last and sees none left.
    answer.change = i == 0 ? change_result{change_status::left, 3, 1}
                           : change_result{change_status::user_offline, 0, 2};
    auto fw = f.answer_forward(answer);
    CHECK(fw.second.kind == op_kind::mark_offline_all);
    nodes.push_back(fw.first);
  }
  CHECK(sorted(nodes) == std::vector<str>{"n2", "n3"});
  change_result got;
  h.receive([&](change_result& r) { got = r; },
            [&](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(got.removed == 4u);
  CHECK(got.status == change_status::user_offline);
  // The local part went out as a delta; the remote ones stay replicas.
  CHECK(describe(f.next_changes()) == std::vector<str>{"-alice/a1@n1"});
  auto ss = f.sessions("alice");
  CHECK(ss.size() == 3);
  for (auto& s : ss)
    CHECK(s.node != "n1");
}

TEST_CASE("cluster feed: users without a local actor survive every path",
          "[cluster_feed]") {
  cluster_fixture f{[](caf::actor_system_config& cfg) {
    cfg.set("presence.idle-timeout", caf::timespan{2s});
  }};
  ok(f.attach(f.cl, "n1"));
  f.replica("n2", "replicated", {upsert("carol", "c1"), upsert("erin", "e1")});
  // A push to a remote-only user goes to its owner, once, with the login
  // id; the owner's partial report is the push's.
  auto push = f.self->request(f.reg, 10s, push_atom::value, str{"carol"},
                              push_message{});
  op_result reached;
  reached.report.users_targeted = 1;
  reached.report.users_reached = 1;
  reached.report.sessions_reached = 1;
  auto routed = f.answer_route(reached);
  CHECK(routed.first == "n2");
  CHECK(routed.second.kind == op_kind::push_users);
  CHECK(routed.second.login_ids == std::vector<str>{"carol"});
  CHECK_FALSE(routed.second.message.message_id.empty());
  push.receive(
    [&](delivery_report& r) {
      CHECK(r.users_reached == 1u);
      CHECK(r.sessions_reached == 1u);
    },
    [&](caf::error& err) { FAIL(caf::to_string(err)); });
  // A broadcast goes to the owner node once; its users count if it reached
  // anybody.
  auto all = f.self->request(f.reg, 10s, broadcast_atom::value,
                             push_message{});
  reached.report.users_targeted = 2;
  reached.report.users_reached = 2;
  reached.report.sessions_reached = 2;
  routed = f.answer_route(reached);
  CHECK(routed.second.kind == op_kind::broadcast);
  CHECK(routed.second.login_ids.empty());
  all.receive(
    [&](delivery_report& r) {
      CHECK(r.users_targeted == 2u);
      CHECK(r.users_reached == 2u);
      CHECK(r.sessions_reached == 2u);
    },
    [&](caf::error& err) { FAIL(caf::to_string(err)); });
  // A kick of a remote-only user goes to its owner and merges.
  auto h = f.self->request(f.reg, 10s, kick_atom::value, str{"carol"},
                           str{"bye"});
  op_result answer;
  answer.report.users_targeted = 1;
  answer.report.users_reached = 1;
  answer.report.sessions_reached = 1;
  auto fw = f.answer_forward(answer);
  CHECK(fw.first == "n2");
  CHECK(fw.second.kind == op_kind::kick);
  h.receive(
    [&](delivery_report& r) {
      CHECK(r.users_targeted == 1u);
      CHECK(r.sessions_reached == 1u);
    },
    [&](caf::error& err) { FAIL(caf::to_string(err)); });
  // A local login next to a remote session expires: the user actor goes,
  // the replica stays.
  f.change(mark_online_atom::value, user("erin", "e2", "web"));
  CHECK(describe(f.next_changes()) == std::vector<str>{"+erin/e2@n1"});
  CHECK(describe(f.next_changes()) == std::vector<str>{"-erin/e2@n1"});
  auto ss = f.sessions("erin");
  REQUIRE(ss.size() == 1);
  CHECK(ss[0].node == "n2");
  // And logs in again: a new actor, next to the replica.
  f.change(mark_online_atom::value, user("erin", "e3", "web"));
  CHECK(f.change(mark_offline_atom::value, str{"erin"}, str{"e3"}).status
        == change_status::left);
  CHECK(ok(ask<uint64_t>(f.self, f.reg, session_count_atom::value)) == 2u);
  auto st = ok(ask<presence_stats>(f.self, f.reg, stats_atom::value));
  CHECK(st.sessions == 2u);
  CHECK(st.users == 2u);
}

TEST_CASE("cluster feed: a login policy counts replicas and has their owner "
          "kick its victims",
          "[cluster_feed]") {
  cluster_fixture f;
  ok(f.attach(f.cl, "n1"));
  auto old = upsert("pat", "p2", "web");
  old.session.connect_time = caf::timestamp{std::chrono::seconds(1000)};
  f.replica("n2", "replicated", {old});
  REQUIRE(wait_until([&] { return f.sessions("pat").size() == 1; }));
  // Refused over the replica alone (no user actor here yet).
  auto refused = ask<change_result>(f.self, f.reg, mark_online_atom::value,
                                    user("pat", "p1", "ios"),
                                    login_policy{1, false,
                                                 limit_action::reject});
  CHECK_PRESENCE_ERROR(err_of(refused), too_many_sessions);
  // Replaced: the login answers at once, the owner gets the kick.
  auto r = f.change(mark_online_atom::value, user("pat", "p1", "ios"),
                    login_policy{1, false, limit_action::replace});
  CHECK(r.status == change_status::joined);
  CHECK(r.removed == 1u);
  auto [node, op] = f.answer_forward(op_result{});
  CHECK(node == "n2");
  CHECK(op.kind == op_kind::kick_session);
  CHECK(op.user.login_id == "pat");
  CHECK(op.user.token == "p2");
  CHECK(op.message.type == message_type::kick_out());
  CHECK(op.message.content == "replaced");
  // The replica stays until its owner's delta says otherwise.
  CHECK(f.sessions("pat").size() == 2);
  // With a user actor here, it counts the replica too: one per device.
  auto again = f.change(mark_online_atom::value, user("pat", "p3", "web"),
                        login_policy{0, true, limit_action::replace});
  CHECK(again.removed == 1u);
  CHECK(f.answer_forward(op_result{}).second.user.token == "p2");
}

TEST_CASE("cluster feed: a replica joining settles the configured replace "
          "policy on this node's sessions",
          "[cluster_feed]") {
  cluster_fixture f{[](caf::actor_system_config& cfg) {
    cfg.set("presence.max-sessions", 1);
  }};
  ok(f.attach(f.cl, "n1"));
  f.change(mark_online_atom::value, user("sam", "s1", "web"));
  CHECK(describe(f.next_changes()) == std::vector<str>{"+sam/s1@n1"});
  // An older session of another node loses: its owner kicks it, not us.
  auto older = upsert("sam", "s0", "ios");
  older.session.connect_time = caf::timestamp{std::chrono::seconds(1000)};
  f.replica("n2", "replicated", {older});
  REQUIRE(wait_until([&] { return f.sessions("sam").size() == 2; }));
  // A newer one wins against ours: we kick ours.
  auto newer = upsert("sam", "s2", "ios");
  newer.session.connect_time = caf::make_timestamp()
                               + std::chrono::hours(1);
  f.replica("n2", "replicated", {newer});
  CHECK(describe(f.next_changes()) == std::vector<str>{"-sam/s1@n1"});
  REQUIRE(wait_until([&] { return f.sessions("sam").size() == 2; }));
  for (auto& s : f.sessions("sam"))
    CHECK(s.node == "n2");
}

} // namespace cluster_feed_tests

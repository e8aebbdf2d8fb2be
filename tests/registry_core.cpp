// registry_core: the parts wired as the registry wires them, driven by a fake
// registry_callee that records what the core asks of the actor. A small actor
// system provides the handles (clients, pushers, user actors); nothing is
// sent to them.

#include <catch2/catch.hpp>

#include "registry/registry_core.hpp"

#include "registry_fakes.hpp"

// A namespace per test file: the tests build in unity batches.
namespace registry_core_tests {

using namespace parts;

namespace {

/// Everything the parts ask of the actor, recorded.
struct core_host : registry_callee {
  explicit core_host(mini_system& ms) : ms(ms) {
  }

  mini_system& ms;
  time_point t = time_point{} + 1h;
  size_t flush_calls = 0;
  std::vector<client_results> results;
  std::vector<caf::message> relay_messages;
  std::vector<caf::message> subscriber_messages;
  std::vector<caf::actor_id> relays;
  std::vector<caf::actor_id> stopped;
  std::vector<caf::actor_id> monitored;
  std::vector<user_command> joins;
  std::vector<caf::actor_id> retired;

  time_point now() override {
    return t;
  }

  void flush_later() override {
    ++flush_calls;
  }

  void send_results(const client_actor&, client_results&& out) override {
    results.push_back(std::move(out));
  }

  void expire_after(caf::timespan) override {
  }

  caf::actor spawn_relay(const pusher_actor&, bool) override {
    auto relay = ms.dummy();
    relays.push_back(relay.id());
    return relay;
  }

  void send_to(const caf::actor& to, const caf::message& msg) override {
    if (msg.match_element<deliver_atom>(0))
      relay_messages.push_back(msg);
    else if (msg.match_element<presence_events_atom>(0))
      subscriber_messages.push_back(msg);
    (void) to;
  }

  void stop(const caf::actor& relay) override {
    stopped.push_back(relay.id());
  }

  void forward_join(const user_actor&, user_command&& cmd) override {
    joins.push_back(std::move(cmd));
  }

  void send_changes(const caf::actor&, local_changes&&) override {
  }

  void send_forward(const caf::actor&, const std::string&, client_op&&,
                    uint64_t) override {
  }

  void send_route(owner_id, const std::string&, client_op&&,
                  uint64_t) override {
  }

  void mirror(const user_actor&, user_command&&) override {
  }

  user_actor spawn_user(const online_user&, time_point) override {
    return ms.user();
  }

  void check_idle(const user_actor&, std::string) override {
  }

  void retire(user_actor&& actor) override {
    retired.push_back(actor.id());
    actor = nullptr;
  }

  void tick_after(caf::timespan) override {
  }

  void sweep_after(caf::timespan) override {
  }

  size_t trims_scheduled = 0;

  void trim_after(caf::timespan) override {
    ++trims_scheduled;
  }

  void monitor(const caf::actor& member) override {
    monitored.push_back(member.id());
  }

  void demonitor(const caf::actor&) override {
  }

  /// Every result sent so far, in order.
  std::vector<op_result> all_results() const {
    std::vector<op_result> xs;
    for (auto& r : results)
      for (auto& x : r.results)
        xs.push_back(x);
    return xs;
  }
};

struct fixture {
  mini_system ms;
  core_host host{ms};
  presence_view view;
  settings cfg;
  registry_core core{host, cfg, view, message_ids{}};
  caf::actor client_handle = ms.dummy();
  uint32_t client = 0;

  fixture() {
    bool added = false;
    client = core.replies.client_of(client_handle, added);
  }

  void run(client_op op, uint64_t ticket) {
    op.ticket = ticket;
    core.handle(std::move(op), reply_target{client, ticket, {}});
  }

  std::vector<op_result> flushed() {
    core.flush();
    return host.all_results();
  }

  static client_op login(std::string login_id, std::string token) {
    client_op op;
    op.kind = op_kind::mark_online;
    op.user.login_id = std::move(login_id);
    op.user.token = std::move(token);
    op.user.device = "web";
    return op;
  }

  static client_op push(std::string login_id, std::string text) {
    client_op op;
    op.kind = op_kind::push_user;
    op.user.login_id = std::move(login_id);
    op.message = make_text_message(std::move(text));
    return op;
  }

  client_op subscribe(const pusher_actor& p) {
    client_op op;
    op.kind = op_kind::subscribe;
    op.actor = caf::actor_cast<caf::actor>(p);
    return op;
  }
};

} // namespace

TEST_CASE("operations reach the part that does them",
          "[registry_core]") {
  fixture f;
  f.run(fixture::login("alice", "t1"), 1);
  f.run(f.subscribe(f.ms.pusher()), 2);
  f.run(fixture::push("alice", "hi"), 3);
  f.run(fixture::push("bob", "hi"), 4);
  auto xs = f.flushed();
  // The push to alice is settled once her batch is answered: not yet.
  REQUIRE(xs.size() == 3);
  CHECK(xs[0].ticket == 1);
  CHECK(xs[0].change.status == change_status::joined);
  CHECK(xs[1].ticket == 2);
  CHECK(xs[1].change.status == change_status::subscribed);
  CHECK(xs[2].ticket == 4);
  CHECK(xs[2].report.not_online == std::vector<std::string>{"bob"});
  CHECK(f.view.table.user_count() == 1);
  // The flush sent alice's batch to the one relay.
  REQUIRE(f.host.relays.size() == 1);
  REQUIRE(f.host.relay_messages.size() == 1);
  auto& batch = f.host.relay_messages[0].get_as<delivery_batch>(1);
  REQUIRE(batch.deliveries.size() == 1);
  CHECK(batch.deliveries[0].login_id == "alice");
  // Its relay's answer settles the push.
  f.core.relays.on_answer(f.host.relays[0], batch.id, caf::error{});
  xs = f.flushed();
  REQUIRE(xs.size() == 4);
  CHECK(xs[3].ticket == 3);
  CHECK(xs[3].report.users_reached == 1);
  CHECK(xs[3].report.sessions_reached == 1);
}

TEST_CASE("an operation kind that does not exist is answered as malformed",
          "[registry_core]") {
  fixture f;
  client_op op;
  op.kind = static_cast<op_kind>(200);
  f.run(std::move(op), 7);
  auto xs = f.flushed();
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].ticket == 7);
  CHECK(is(xs[0].err, presence::error::malformed_message));
}

TEST_CASE("a foreign batch is validated before any of it runs; the own "
          "client's is not",
          "[registry_core]") {
  fixture f;
  std::vector<client_op> ops;
  ops.push_back(fixture::login("alice", "t1"));
  ops.push_back(fixture::login("", "t2")); // no login id
  ops.push_back(fixture::login("carol", "t3"));
  for (uint64_t i = 0; i < ops.size(); ++i)
    ops[i].ticket = i + 1;
  f.core.handle_batch(ops, origin::foreign_batch, f.client, limits{});
  auto xs = f.flushed();
  REQUIRE(xs.size() == 3);
  // The refused operation is answered first, before anything runs.
  CHECK(xs[0].ticket == 2);
  CHECK(is(xs[0].err, presence::error::empty_login_id));
  CHECK(xs[1].ticket == 1);
  CHECK(xs[1].change.status == change_status::joined);
  CHECK(xs[2].ticket == 3);
  CHECK(f.view.table.user_count() == 2);
  // A foreign operation's login hash is the table's own.
  CHECK(f.view.table.find("alice") != nullptr);
  // The own client's operations are trusted as checked already: they run
  // as they are.
  std::vector<client_op> own;
  own.push_back(fixture::login("dave", "t4"));
  own[0].ticket = 4;
  f.core.handle_batch(own, origin::own_client, f.client, limits{});
  xs = f.flushed();
  REQUIRE(xs.size() == 4);
  CHECK(xs[3].ticket == 4);
  CHECK(xs[3].change.status == change_status::joined);
}

TEST_CASE("a down client's results go nowhere; a down pusher's batches "
          "fail at once",
          "[registry_core]") {
  fixture f;
  auto p = f.ms.pusher();
  f.run(fixture::login("alice", "t1"), 1);
  f.run(f.subscribe(p), 2);
  f.core.flush();
  auto sent = f.host.results.size();
  f.run(fixture::push("alice", "hi"), 3);
  f.core.flush(); // the batch goes to the relay
  REQUIRE(f.host.relay_messages.size() == 1);
  CHECK(f.core.pipeline.open_batches() == 1);
  f.core.on_down(p.id(), caf::error{});
  // The pusher's death settled its batch, and its relay is stopped.
  CHECK(f.core.pipeline.open_batches() == 0);
  CHECK(f.host.stopped == std::vector<caf::actor_id>{f.host.relays[0]});
  auto xs = f.flushed();
  REQUIRE(xs.size() == 3);
  CHECK(xs[2].ticket == 3);
  CHECK(xs[2].report.users_reached == 0);
  REQUIRE(xs[2].report.failed_pushers.size() == 1);
  CHECK(xs[2].report.failed_pushers[0].pusher == p.id());
  CHECK(f.host.results.size() == sent + 1);
  // The client goes down: what it is still owed is dropped, not sent.
  f.core.on_down(f.client_handle.id(), caf::error{});
  f.run(fixture::push("bob", "hi"), 4);
  f.core.flush();
  CHECK(f.host.results.size() == sent + 1);
}

TEST_CASE("every typed request still open is visited at shutdown",
          "[registry_core]") {
  fixture f;
  auto typed = [] { return reply_target{reply_target::no_client, 0, {}}; };
  f.core.handle(fixture::login("alice", "t1"), typed());
  // A second login is forwarded to alice's actor; a call behind it parks.
  f.core.handle(fixture::login("alice", "t2"), typed());
  f.core.handle(fixture::push("alice", "hi"), typed());
  // A push with no pusher to take it is settled at once; one that a relay
  // holds stays open.
  f.run(f.subscribe(f.ms.pusher()), 1);
  f.core.handle(fixture::push("bob", "hi"), typed());
  size_t visited = 0;
  f.core.for_each_target([&](reply_target&) { ++visited; });
  // The forwarded login and the parked push.
  CHECK(visited == 2);
  CHECK(f.host.joins.size() == 1);
}

TEST_CASE("a burst of remote changes is trimmed once it is over, then twice "
          "later",
          "[registry_core]") {
  fixture f;
  limits lim;
  auto update = [](size_t n) {
    remote_update u;
    u.node = "x";
    u.reason = "replicated";
    u.changes.resize(n);
    for (size_t i = 0; i < n; ++i) {
      u.changes[i].removed = true;
      u.changes[i].session.login_id = "u" + std::to_string(i);
      u.changes[i].session.token = "t";
    }
    return u;
  };
  auto late = std::size(registry_core::late_trims);
  // Chunks below the threshold add up to it.
  auto chunk = update(registry_core::big_remote_update / 2);
  f.core.apply_remote(chunk, lim);
  CHECK(f.host.trims_scheduled == 0);
  f.core.apply_remote(chunk, lim);
  CHECK(f.host.trims_scheduled == 1);
  // More arrived before the trim was due: it waits another delay.
  f.core.apply_remote(chunk, lim);
  CHECK(f.host.trims_scheduled == 1);
  f.core.on_trim();
  CHECK(f.host.trims_scheduled == 2);
  // Quiet since: it trims, and schedules the late ones, one at a time.
  for (size_t i = 0; i < late; ++i) {
    f.core.on_trim();
    CHECK(f.host.trims_scheduled == 3 + i);
  }
  // The last late trim ends the burst; a stray one changes nothing.
  f.core.on_trim();
  f.core.on_trim();
  auto done = f.host.trims_scheduled;
  auto small = update(10);
  f.core.apply_remote(small, lim);
  CHECK(f.host.trims_scheduled == done);
  // A burst that never stops is trimmed after the deferrals at the latest.
  f.core.apply_remote(chunk, lim);
  f.core.apply_remote(chunk, lim);
  CHECK(f.host.trims_scheduled == done + 1);
  for (int i = 0; i < registry_core::max_trim_deferrals; ++i) {
    f.core.apply_remote(small, lim);
    f.core.on_trim();
  }
  CHECK(f.host.trims_scheduled
        == done + 1 + static_cast<size_t>(registry_core::max_trim_deferrals));
  f.core.apply_remote(small, lim);
  f.core.on_trim(); // trims now, and schedules the first late trim
  CHECK(f.host.trims_scheduled
        == done + 2 + static_cast<size_t>(registry_core::max_trim_deferrals));
}

TEST_CASE("mark_offline_users takes its whole list in one turn and answers "
          "once",
          "[registry_core]") {
  fixture f;
  f.run(fixture::login("a", "t1"), 1);
  f.run(fixture::login("b", "t1"), 2);
  f.run(fixture::login("c", "t1"), 3);
  client_op list;
  list.kind = op_kind::mark_offline_users;
  list.login_ids = {"a", "b", "a", "nobody"};
  f.run(std::move(list), 4);
  CHECK(f.view.table.user_count() == 1);
  client_op empty;
  empty.kind = op_kind::mark_offline_users;
  f.run(std::move(empty), 5);
  auto xs = f.flushed();
  REQUIRE(xs.size() == 5);
  CHECK(xs[3].ticket == 4);
  CHECK(xs[3].change.status == change_status::user_offline);
  CHECK(xs[3].change.removed == 2);
  CHECK(xs[4].ticket == 5);
  CHECK(xs[4].change.status == change_status::unknown_user);
  CHECK(f.host.retired.size() == 2);
}

} // namespace registry_core_tests

// push_routing with the real push_pipeline, session_changes and
// offline_buffer; the pipeline's sink and every callee are fakes. User
// entries hold dummy user actors, so a small actor system is needed.

#include <catch2/catch.hpp>

#include <memory>

#include "registry/offline_buffer.hpp"
#include "registry/push_routing.hpp"
#include "registry_fakes.hpp"

// A namespace per test file: the tests build in unity batches.
namespace push_routing_tests {

using namespace parts;

namespace {

using lines = std::vector<std::string>;

struct fixture {
  mini_system ms;
  reply_log log;
  client_replies replies{log};
  fake_clock clk;
  presence_view view;
  event_outbox events;
  settings cfg;
  fake_sink local;
  push_pipeline pipe;
  user_host host{ms};
  session_changes changes;
  sweep_log sweeper{clk};
  push_routing routing;
  caf::actor client_handle = ms.dummy();
  uint32_t client = 0;

  explicit fixture(bool with_buffer = true)
    : pipe(clk, replies, view.counters, {}, message_ids{}),
      changes(host, host, view, replies, events, cfg),
      routing(sweeper, view, changes, pipe,
              with_buffer ? std::make_unique<offline_buffer>(8, 5min, 1 << 20)
                          : nullptr) {
    pipe.set_sink(local_owner, &local);
    // What the registry wires between its parts.
    host.on_came_online = [this](user_entry& e) { routing.came_online(e); };
    host.on_kick_replaced = [this](const std::string& login_id,
                                   std::vector<session_target>&& targets) {
      routing.kick_replaced(login_id, std::move(targets));
    };
    bool added = false;
    client = replies.client_of(client_handle, added);
  }

  reply_target target(uint64_t ticket) {
    return reply_target{client, ticket, {}};
  }

  /// Logs a session in, answering for the user actor if it decides.
  void login(const std::string& login_id, const std::string& token,
             const std::string& device = "web",
             std::vector<std::string> replaced = {}) {
    auto joins = host.joins.size();
    changes.mark_online(session_op(op_kind::mark_online, login_id, token,
                                   device),
                        reply_target{});
    if (host.joins.size() == joins)
      return;
    auto& j = host.joins.back();
    user_update u;
    u.ticket = j.cmd.ticket;
    u.session = j.cmd.session;
    u.tokens = std::move(replaced);
    changes.on_join_answer(u, j.actor);
  }

  static client_op push_op(op_kind kind, const std::string& login_id,
                           push_message msg) {
    client_op op;
    op.kind = kind;
    op.user.login_id = login_id;
    op.message = std::move(msg);
    return op;
  }

  const delivery_report* report(uint64_t ticket) {
    replies.flush();
    auto r = log.result(ticket);
    return r != nullptr ? &r->report : nullptr;
  }

  void confirm_all() {
    for (size_t i = 0; i < local.batches.size(); ++i)
      pipe.on_answer(local.batch(i).id, 101, 101, {});
  }
};

push_message kept(std::string content) {
  auto msg = make_text_message(std::move(content));
  msg.keep_if_offline = true;
  return msg;
}

} // namespace

TEST_CASE("a kept push to an offline user is buffered and goes out when it "
          "comes online",
          "[push_routing]") {
  fixture f;
  f.routing.push_user(f.push_op(op_kind::push_user, "u", kept("later")),
                      f.target(1));
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->not_online == lines{"u"});
  CHECK(rep->buffered == 1);
  CHECK(rep->dropped == 0);
  CHECK(rep->users_targeted == 0);
  CHECK(f.routing.buffer()->size() == 1);
  CHECK(f.view.counters.buffered.load() == 1);
  CHECK(f.sweeper.sweeps.size() == 1); // the buffer's TTL needs a sweep
  f.pipe.flush();
  CHECK(f.local.batches.empty());
  f.login("u", "t1");
  CHECK(f.routing.buffer()->empty());
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 1);
  CHECK(deliveries_of(f.local.batch(0)) == lines{"u:t1"});
  CHECK(f.local.batch(0).messages.at(0).content == "later");
}

TEST_CASE("a push not kept for an offline user reports it not online",
          "[push_routing]") {
  fixture f;
  f.routing.push_user(
    f.push_op(op_kind::push_user, "u", make_text_message("now")),
    f.target(1));
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->not_online == lines{"u"});
  CHECK(rep->buffered == 0);
  CHECK(f.routing.buffer()->empty());
  CHECK(f.sweeper.sweeps.empty());
  f.login("u", "t1");
  f.pipe.flush();
  CHECK(f.local.batches.empty());
}

TEST_CASE("without an offline buffer a kept push counts as dropped",
          "[push_routing]") {
  fixture f{false};
  f.routing.push_user(f.push_op(op_kind::push_user, "u", kept("later")),
                      f.target(1));
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->not_online == lines{"u"});
  CHECK(rep->buffered == 0);
  CHECK(rep->dropped == 1);
  CHECK(f.view.counters.drops.load() == 1);
}

TEST_CASE("a client's push to an online local user takes the direct path",
          "[push_routing]") {
  fixture f;
  f.login("u", "t1");
  f.login("u", "t2");
  f.routing.push_user(
    f.push_op(op_kind::push_user, "u", make_text_message("hi")),
    f.target(1));
  CHECK(f.pipe.open_pushes() == 0); // no push state
  // A typed request has no client: it takes a push state.
  f.routing.push_user(
    f.push_op(op_kind::push_user, "u", make_text_message("typed")),
    reply_target{});
  CHECK(f.pipe.open_pushes() == 1);
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 1);
  CHECK(deliveries_of(f.local.batch(0)) == lines{"u:t1,t2", "u:t1,t2"});
  f.confirm_all();
  CHECK(f.pipe.open_pushes() == 0);
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_reached == 1);
  CHECK(rep->sessions_reached == 2);
}

TEST_CASE("push_users names each user once", "[push_routing]") {
  fixture f;
  f.login("a", "t1");
  f.login("b", "t1");
  auto op = f.push_op(op_kind::push_users, "", make_text_message("hi"));
  op.login_ids = {"a", "b", "a", "x", "x", "b"};
  f.routing.push_users(std::move(op), f.target(1));
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 1);
  CHECK(deliveries_of(f.local.batch(0)) == lines{"a:t1", "b:t1"});
  f.confirm_all();
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 2);
  CHECK(rep->users_reached == 2);
  CHECK(rep->not_online == lines{"x"});
}

TEST_CASE("a broadcast without a ready sink targets every online user",
          "[push_routing]") {
  fixture f;
  f.local.make_ready(false);
  f.login("a", "t1");
  f.login("b", "t1");
  f.login("b", "t2");
  f.login("c", "t1");
  f.routing.broadcast(f.push_op(op_kind::broadcast, "", make_text_message("x")),
                      f.target(1));
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 3);
  CHECK(rep->users_reached == 0);
  f.pipe.flush();
  CHECK(f.local.batches.empty());
}

TEST_CASE("a broadcast with a ready sink reaches every online user",
          "[push_routing]") {
  fixture f;
  f.login("a", "t1");
  f.login("b", "t1");
  f.login("b", "t2");
  f.routing.broadcast(f.push_op(op_kind::broadcast, "", make_text_message("x")),
                      f.target(1));
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 1);
  CHECK(deliveries_of(f.local.batch(0)) == lines{"a:t1", "b:t1,t2"});
  f.confirm_all();
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 2);
  CHECK(rep->users_reached == 2);
  CHECK(rep->sessions_reached == 3);
}

TEST_CASE("a kick removes the sessions first and sends a KickOut to exactly "
          "them",
          "[push_routing]") {
  fixture f;
  f.login("u", "t1", "web");
  f.login("u", "t2", "mobile");
  f.login("u", "t3", "mobile");
  auto op = f.push_op(op_kind::kick_device, "u", make_kick_out_message("bye"));
  op.user.device = "mobile";
  f.routing.kick(std::move(op), f.target(1));
  // Offline at once, whatever the pushers answer.
  auto e = f.view.table.find("u");
  REQUIRE(e != nullptr);
  REQUIRE(e->sessions.size() == 1);
  CHECK(e->sessions.front().token == "t1");
  CHECK(f.view.counters.kicks.load() == 2);
  REQUIRE_FALSE(f.host.mirrors.empty());
  CHECK(f.host.mirrors.back().cmd.kind == op_kind::kick_device);
  CHECK(f.local.batches.empty());
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 1);
  auto& b = f.local.batch(0);
  CHECK(deliveries_of(b) == lines{"u:t2,t3"});
  REQUIRE(b.messages.size() == 1);
  CHECK(b.messages[0].type == message_type::kick_out());
  CHECK(b.messages[0].content == "bye");
  f.confirm_all();
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 1);
  CHECK(rep->users_reached == 1);
  CHECK(rep->sessions_reached == 2);
}

TEST_CASE("a kick of every session retires the user; of nobody, reports it "
          "not online",
          "[push_routing]") {
  fixture f;
  f.login("u", "t1");
  f.routing.kick(f.push_op(op_kind::kick, "u", make_kick_out_message("out")),
                 f.target(1));
  CHECK(f.view.table.find("u") == nullptr);
  CHECK(f.host.retired.size() == 1);
  f.routing.kick(f.push_op(op_kind::kick, "v", make_kick_out_message("out")),
                 f.target(2));
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 1);
  CHECK(deliveries_of(f.local.batch(0)) == lines{"u:t1"});
  auto rep = f.report(2);
  REQUIRE(rep != nullptr);
  CHECK(rep->not_online == lines{"v"});
  CHECK(rep->users_targeted == 0);
}

TEST_CASE("sessions a login policy replaced get a KickOut", "[push_routing]") {
  fixture f;
  f.login("u", "t1");
  f.login("u", "t2", "web", {"t1"});
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 1);
  auto& b = f.local.batch(0);
  CHECK(deliveries_of(b) == lines{"u:t1"});
  CHECK(b.messages.at(0).type == message_type::kick_out());
  CHECK(b.messages.at(0).content == "replaced");
}

} // namespace push_routing_tests

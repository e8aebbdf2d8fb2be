// subscriptions with the real relay_set, push_pipeline, session_changes and
// push_routing behind fake callees. Pushers and subscribers are dummy actors
// in a small actor system (a member must be a live actor); messages to them
// go to the fakes.

#include <catch2/catch.hpp>

#include <caf/after.hpp>
#include <caf/scoped_actor.hpp>

#include "registry/push_routing.hpp"
#include "registry/subscriptions.hpp"
#include "registry_fakes.hpp"

// A namespace per test file: the tests build in unity batches.
namespace subscriptions_tests {

using namespace parts;

namespace {

using lines = std::vector<std::string>;

/// Records whom the subscriptions watch and what they send.
struct member_host : subscriptions::callee {
  explicit member_host(fake_clock& clk) : clk(clk) {
  }

  fake_clock& clk;
  std::vector<caf::actor_id> monitored;
  std::vector<caf::actor_id> demonitored;
  std::vector<relay_host::sent_message> sent;

  time_point now() override {
    return clk.t;
  }

  void monitor(const caf::actor& member) override {
    monitored.push_back(member.id());
  }

  void demonitor(const caf::actor& member) override {
    demonitored.push_back(member.id());
  }

  void send_to(const caf::actor& subscriber, const caf::message& msg) override {
    sent.push_back(relay_host::sent_message{subscriber.id(), msg});
  }
};

struct fixture {
  mini_system ms;
  reply_log log;
  client_replies replies{log};
  fake_clock clk;
  presence_view view;
  event_outbox events;
  settings cfg;
  push_pipeline pipe;
  relay_host rhost{ms};
  relay_set relays{rhost, pipe};
  user_host uhost{ms};
  session_changes changes;
  sweep_log rclock{clk};
  push_routing routing;
  member_host mhost{clk};
  subscriptions subs;
  caf::actor client_handle = ms.dummy();
  uint32_t client = 0;

  fixture()
    : pipe(clk, replies, view.counters, {}, message_ids{}),
      changes(uhost, uhost, view, replies, events, cfg),
      routing(rclock, view, changes, pipe,
              std::make_unique<offline_buffer>(8, 5min, 1 << 20)),
      subs(mhost, replies, relays, routing, events) {
    pipe.set_sink(local_owner, &relays);
    uhost.on_came_online = [this](user_entry& e) { routing.came_online(e); };
    events.start(clk.t);
    bool added = false;
    client = replies.client_of(client_handle, added);
  }

  reply_target target(uint64_t ticket) {
    return reply_target{client, ticket, {}};
  }

  static client_op member_op(op_kind kind, caf::actor member) {
    client_op op;
    op.kind = kind;
    op.actor = std::move(member);
    return op;
  }

  void pusher_op(op_kind kind, const pusher_actor& p, uint64_t ticket) {
    subs.change_pusher(member_op(kind, caf::actor_cast<caf::actor>(p)),
                       target(ticket));
  }

  void subscriber_op(op_kind kind, const event_subscriber_actor& s,
                     uint64_t ticket) {
    subs.change_subscriber(member_op(kind, caf::actor_cast<caf::actor>(s)),
                           target(ticket));
    // The registry asks the subscriptions whether events are on.
    uhost.events = subs.events_on();
  }

  const op_result* result(uint64_t ticket) {
    replies.flush();
    return log.result(ticket);
  }

  change_status status(uint64_t ticket) {
    auto r = result(ticket);
    REQUIRE(r != nullptr);
    return r->change.status;
  }

  caf::actor_id relay_of(const pusher_actor& p) const {
    for (auto& r : relays.relays())
      if (r.pusher_id == p.id() && !r.draining)
        return r.id;
    return 0;
  }

  void login(const std::string& login_id, const std::string& token) {
    changes.mark_online(session_op(op_kind::mark_online, login_id, token),
                        reply_target{});
  }

  /// Blocks until `h` has terminated (its down message, not a timer).
  template <class Handle>
  bool kill(const Handle& h) {
    caf::scoped_actor self{ms.sys};
    self->monitor(h);
    caf::anon_send_exit(h, caf::exit_reason::kill);
    bool down = false;
    self->receive([&](const caf::down_msg&) { down = true; },
                  caf::after(std::chrono::seconds(20)) >> [] {});
    return down;
  }
};

/// The presence events in `msg`, one message to one subscriber.
std::vector<presence_event> events_in(const caf::message& msg) {
  REQUIRE(msg.match_elements<presence_events_atom, presence_events>());
  return msg.get_as<presence_events>(1).events;
}

} // namespace

TEST_CASE("subscribing a pusher twice gives one member and one relay",
          "[subscriptions]") {
  fixture f;
  auto p = f.ms.pusher();
  f.pusher_op(op_kind::subscribe, p, 1);
  f.pusher_op(op_kind::subscribe, p, 2);
  CHECK(f.status(1) == change_status::subscribed);
  CHECK(f.status(2) == change_status::subscribed);
  CHECK(f.subs.pushers().size() == 1);
  CHECK(f.relays.relays().size() == 1);
  CHECK(f.rhost.spawns.size() == 1);
  CHECK(f.mhost.monitored == std::vector<caf::actor_id>{p.id()});
  CHECK(f.relays.ready());
}

TEST_CASE("unsubscribing an unknown pusher says so", "[subscriptions]") {
  fixture f;
  auto p = f.ms.pusher();
  f.pusher_op(op_kind::unsubscribe, p, 1);
  CHECK(f.status(1) == change_status::unknown_pusher);
  CHECK(f.mhost.demonitored.empty());
  f.pusher_op(op_kind::subscribe, p, 2);
  auto relay = f.relay_of(p);
  f.pusher_op(op_kind::unsubscribe, p, 3);
  CHECK(f.status(3) == change_status::unsubscribed);
  CHECK(f.mhost.demonitored == std::vector<caf::actor_id>{p.id()});
  CHECK(f.subs.pushers().empty());
  // Nothing was open on its relay: it stops at once.
  CHECK(f.rhost.stopped == std::vector<caf::actor_id>{relay});
  CHECK_FALSE(f.relays.ready());
  f.pusher_op(op_kind::unsubscribe, p, 4);
  CHECK(f.status(4) == change_status::unknown_pusher);
}

TEST_CASE("subscribing a terminated or null actor fails", "[subscriptions]") {
  fixture f;
  auto p = f.ms.pusher();
  REQUIRE(f.kill(p));
  f.pusher_op(op_kind::subscribe, p, 1);
  auto r1 = f.result(1);
  REQUIRE(r1 != nullptr);
  CHECK(is(r1->err, error::invalid_pusher));
  f.subs.change_pusher(f.member_op(op_kind::subscribe, caf::actor{}),
                       f.target(2));
  auto r2 = f.result(2);
  REQUIRE(r2 != nullptr);
  CHECK(is(r2->err, error::invalid_pusher));
  auto s = f.ms.subscriber();
  REQUIRE(f.kill(s));
  f.subscriber_op(op_kind::subscribe_events, s, 3);
  auto r3 = f.result(3);
  REQUIRE(r3 != nullptr);
  CHECK(is(r3->err, error::invalid_subscriber));
  CHECK(f.subs.pushers().empty());
  CHECK(f.subs.subscribers().empty());
  CHECK(f.mhost.monitored.empty());
  CHECK(f.rhost.spawns.empty());
}

TEST_CASE("a pusher that goes down leaves and fails its batches",
          "[subscriptions]") {
  fixture f;
  auto p1 = f.ms.pusher();
  auto p2 = f.ms.pusher();
  f.pusher_op(op_kind::subscribe, p1, 1);
  f.pusher_op(op_kind::subscribe, p2, 2);
  auto r1 = f.relay_of(p1);
  auto r2 = f.relay_of(p2);
  f.login("u", "t1");
  client_op push;
  push.kind = op_kind::push_user;
  push.user.login_id = "u";
  push.message = make_text_message("hi");
  f.routing.push_user(std::move(push), f.target(3));
  f.pipe.flush();
  auto batches = f.rhost.batches_to(r2);
  REQUIRE(batches.size() == 1);
  auto why = caf::make_error(caf::exit_reason::kill);
  f.subs.on_down(p1.id(), why);
  CHECK(f.subs.pushers().size() == 1);
  CHECK_FALSE(f.subs.pushers().contains(p1.id()));
  CHECK(f.rhost.stopped == std::vector<caf::actor_id>{r1});
  CHECK(f.result(3) == nullptr); // p2 has not answered yet
  f.relays.on_answer(r2, batches[0].get_as<delivery_batch>(1).id, {});
  auto r = f.result(3);
  REQUIRE(r != nullptr);
  CHECK(r->report.users_reached == 1);
  REQUIRE(r->report.failed_pushers.size() == 1);
  CHECK(r->report.failed_pushers[0].pusher == p1.id());
  CHECK(r->report.failed_pushers[0].reason == why);
  // A down message of anybody else changes nothing.
  f.subs.on_down(p1.id() + 1000, why);
  CHECK(f.subs.pushers().size() == 1);
}

TEST_CASE("each event subscriber gets the flushed events as one message",
          "[subscriptions]") {
  fixture f;
  auto s1 = f.ms.subscriber();
  auto s2 = f.ms.subscriber();
  CHECK_FALSE(f.subs.events_on());
  f.subscriber_op(op_kind::subscribe_events, s1, 1);
  f.subscriber_op(op_kind::subscribe_events, s2, 2);
  CHECK(f.status(1) == change_status::subscribed);
  CHECK(f.subs.events_on());
  CHECK(f.subs.subscribers().size() == 2);
  f.login("u", "t1");
  f.subs.flush_events();
  REQUIRE(f.mhost.sent.size() == 2);
  CHECK(f.mhost.sent[0].to == s1.id());
  CHECK(f.mhost.sent[1].to == s2.id());
  for (auto& s : f.mhost.sent)
    CHECK(event_lines(events_in(s.msg))
          == lines{"online u t1 login", "joined u t1 login"});
  f.subs.flush_events(); // nothing new
  CHECK(f.mhost.sent.size() == 2);
}

TEST_CASE("a new event subscriber starts on a clean batch",
          "[subscriptions]") {
  fixture f;
  auto s1 = f.ms.subscriber();
  auto s2 = f.ms.subscriber();
  f.subscriber_op(op_kind::subscribe_events, s1, 1);
  f.login("u", "t1");
  f.subscriber_op(op_kind::subscribe_events, s2, 2);
  // The events so far went to s1 before s2 joined.
  REQUIRE(f.mhost.sent.size() == 1);
  CHECK(f.mhost.sent[0].to == s1.id());
  f.login("v", "t1");
  f.subs.flush_events();
  REQUIRE(f.mhost.sent.size() == 3);
  for (size_t i = 1; i < 3; ++i)
    CHECK(event_lines(events_in(f.mhost.sent[i].msg))
          == lines{"online v t1 login", "joined v t1 login"});
}

TEST_CASE("event subscribers leave by unsubscribing or going down",
          "[subscriptions]") {
  fixture f;
  auto s1 = f.ms.subscriber();
  auto s2 = f.ms.subscriber();
  f.subscriber_op(op_kind::unsubscribe_events, s1, 1);
  CHECK(f.status(1) == change_status::unknown_subscriber);
  f.subscriber_op(op_kind::subscribe_events, s1, 2);
  f.subscriber_op(op_kind::subscribe_events, s2, 3);
  f.subscriber_op(op_kind::unsubscribe_events, s1, 4);
  CHECK(f.status(4) == change_status::unsubscribed);
  CHECK(f.mhost.demonitored == std::vector<caf::actor_id>{s1.id()});
  f.subs.on_down(s2.id(), caf::error{});
  CHECK(f.subs.subscribers().empty());
  CHECK_FALSE(f.subs.events_on());
}

TEST_CASE("events overdue under load are flushed without waiting for the "
          "mailbox",
          "[subscriptions]") {
  fixture f;
  auto s = f.ms.subscriber();
  f.subscriber_op(op_kind::subscribe_events, s, 1);
  f.login("u", "t1");
  f.subs.maybe_flush_events();
  CHECK(f.mhost.sent.empty()); // the last flush was just now
  f.clk.t += 10ms;
  f.subs.maybe_flush_events();
  CHECK(f.mhost.sent.size() == 1);
}

TEST_CASE("the first pusher takes messages buffered for online users",
          "[subscriptions]") {
  fixture f;
  auto msg = make_text_message("kept");
  msg.keep_if_offline = true;
  client_op push;
  push.kind = op_kind::push_user;
  push.user.login_id = "v";
  push.message = msg;
  f.routing.push_user(std::move(push), f.target(1));
  // Online while no pusher can take it: the message stays buffered.
  f.login("v", "t1");
  CHECK(f.routing.buffer()->size() == 1);
  auto p = f.ms.pusher();
  f.pusher_op(op_kind::subscribe, p, 2);
  CHECK(f.routing.buffer()->empty());
  f.pipe.flush();
  auto batches = f.rhost.batches_to(f.relay_of(p));
  REQUIRE(batches.size() == 1);
  auto& b = batches[0].get_as<delivery_batch>(1);
  CHECK(deliveries_of(b) == lines{"v:t1"});
  CHECK(b.messages.at(0).content == "kept");
}

} // namespace subscriptions_tests

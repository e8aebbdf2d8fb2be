// relay_set as the local sink of a real push_pipeline, with a fake callee.
// Relays and pushers are dummy actors in a small actor system: relay_set
// keeps their handles, but every message to a relay goes to the fake.

#include <catch2/catch.hpp>

#include <algorithm>

#include "actors/pusher_relay.hpp"
#include "registry_fakes.hpp"

// A namespace per test file: the tests build in unity batches.
namespace relay_set_tests {

using namespace parts;

namespace {

struct fixture {
  mini_system ms;
  reply_log log;
  client_replies replies{log};
  fake_clock clk;
  view_counters counters;
  push_pipeline pipe;
  relay_host host{ms};
  relay_set relays{host, pipe};
  caf::actor client_handle = ms.dummy();
  uint32_t client = 0;
  pusher_actor p1 = ms.pusher();
  pusher_actor p2 = ms.pusher();

  explicit fixture(push_pipeline::config cfg = {})
    : pipe(clk, replies, counters, cfg, message_ids{}) {
    pipe.set_sink(local_owner, &relays);
    bool added = false;
    client = replies.client_of(client_handle, added);
  }

  /// A push to one user with one session, sent at once.
  void push(uint64_t ticket) {
    auto p = pipe.start(make_text_message("hi"),
                        reply_target{client, ticket, {}});
    auto xs = sessions({0});
    pipe.add_delivery(p, "u", xs.data(), xs.size());
    pipe.finish(p);
    pipe.flush();
  }

  /// The current (not draining) relay of `p`; 0 if none.
  caf::actor_id relay_of(const pusher_actor& p) const {
    for (auto& r : relays.relays())
      if (r.pusher_id == p.id() && !r.draining)
        return r.id;
    return 0;
  }

  /// The batch ids sent to `relay`, in order.
  std::vector<uint64_t> batches_to(caf::actor_id relay) const {
    std::vector<uint64_t> result;
    for (auto& msg : host.batches_to(relay))
      result.push_back(msg.get_as<delivery_batch>(1).id);
    return result;
  }

  const delivery_report* report(uint64_t ticket) {
    replies.flush();
    auto r = log.result(ticket);
    return r != nullptr ? &r->report : nullptr;
  }

  bool stopped(caf::actor_id relay) const {
    return std::count(host.stopped.begin(), host.stopped.end(), relay) == 1;
  }
};

} // namespace

TEST_CASE("add gives a pusher one current relay", "[relay_set]") {
  fixture f;
  CHECK_FALSE(f.relays.ready());
  CHECK_FALSE(f.pipe.local_ready());
  f.relays.add(f.p1);
  CHECK(f.relays.ready());
  CHECK(f.pipe.local_ready());
  REQUIRE(f.host.spawns.size() == 1);
  CHECK(f.host.spawns[0].pusher == f.p1.id());
  CHECK_FALSE(f.host.spawns[0].await_go); // nobody to wait for
  REQUIRE(f.relays.relays().size() == 1);
  auto& r = f.relays.relays()[0];
  CHECK(r.id == f.host.spawns[0].relay.id());
  CHECK(r.pusher_id == f.p1.id());
  CHECK_FALSE(r.draining);
  CHECK(f.host.sent.empty());
}

TEST_CASE("send fans a batch out to every current relay and waits for each",
          "[relay_set]") {
  fixture f;
  f.relays.add(f.p1);
  f.relays.add(f.p2);
  auto r1 = f.relay_of(f.p1);
  auto r2 = f.relay_of(f.p2);
  f.push(1);
  auto b = f.batches_to(r1);
  REQUIRE(b.size() == 1);
  CHECK(f.batches_to(r2) == b); // the same batch
  CHECK(f.pipe.waiting_on(r1) == b);
  CHECK(f.pipe.waiting_on(r2) == b);
  CHECK(f.relays.find(r1)->open == 1);
  f.relays.on_answer(r1, b[0], {});
  CHECK(f.relays.find(r1)->open == 0);
  CHECK(f.report(1) == nullptr);
  f.relays.on_answer(r2, b[0], {});
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_reached == 1);
  CHECK(rep->failed_pushers.empty());
  CHECK(f.host.stopped.empty());
}

TEST_CASE("a drained relay with no open batch stops at once", "[relay_set]") {
  fixture f;
  f.relays.add(f.p1);
  auto r1 = f.relay_of(f.p1);
  f.relays.drain(f.p1.id(), false);
  CHECK(f.stopped(r1));
  CHECK(f.relays.relays().empty());
  CHECK_FALSE(f.relays.ready());
  // Draining a pusher without relays changes nothing.
  f.relays.drain(f.p1.id(), false);
  CHECK(f.host.stopped.size() == 1);
}

TEST_CASE("a drained relay stops after its last answer", "[relay_set]") {
  fixture f;
  f.relays.add(f.p1);
  auto r1 = f.relay_of(f.p1);
  f.push(1);
  auto b = f.batches_to(r1);
  REQUIRE(b.size() == 1);
  f.relays.drain(f.p1.id(), false);
  CHECK(f.host.stopped.empty());
  REQUIRE(f.relays.find(r1) != nullptr);
  CHECK(f.relays.find(r1)->draining);
  CHECK_FALSE(f.relays.ready());
  // New pushes no longer reach it.
  f.push(2);
  CHECK(f.batches_to(r1).size() == 1);
  auto rep2 = f.report(2);
  REQUIRE(rep2 != nullptr);
  CHECK(rep2->users_reached == 0);
  f.relays.on_answer(r1, b[0], {});
  CHECK(f.stopped(r1));
  CHECK(f.relays.relays().empty());
  auto rep1 = f.report(1);
  REQUIRE(rep1 != nullptr);
  CHECK(rep1->users_reached == 1);
}

TEST_CASE("a successor relay waits for its predecessor's go",
          "[relay_set]") {
  fixture f;
  f.relays.add(f.p1);
  auto r1 = f.relay_of(f.p1);
  f.push(1);
  f.relays.drain(f.p1.id(), true);
  REQUIRE(f.host.spawns.size() == 2);
  CHECK(f.host.spawns[1].pusher == f.p1.id());
  CHECK(f.host.spawns[1].await_go);
  auto r2 = f.relay_of(f.p1);
  CHECK(r2 == f.host.spawns[1].relay.id());
  CHECK(r2 != r1);
  // The predecessor is told whom to hand over to.
  REQUIRE(f.host.sent.size() == 2); // the batch, then the handover
  auto& handover = f.host.sent[1];
  CHECK(handover.to == r1);
  REQUIRE(handover.msg.match_elements<relay_handover_atom, caf::actor>());
  CHECK(handover.msg.get_as<caf::actor>(1).id() == r2);
  CHECK(f.relays.ready());
  CHECK(f.relays.find(r1)->has_successor);
  // New batches go to the successor only.
  f.push(2);
  CHECK(f.batches_to(r1).size() == 1);
  CHECK(f.batches_to(r2).size() == 1);
  f.relays.on_answer(r1, f.batches_to(r1)[0], {});
  CHECK(f.stopped(r1));
  CHECK_FALSE(f.stopped(r2));
  CHECK(f.relays.relays().size() == 1);
}

TEST_CASE("subscribing again while the old relay drains waits for its go",
          "[relay_set]") {
  fixture f;
  f.relays.add(f.p1);
  auto r1 = f.relay_of(f.p1);
  f.push(1);
  f.relays.drain(f.p1.id(), false);
  f.relays.add(f.p1);
  REQUIRE(f.host.spawns.size() == 2);
  CHECK(f.host.spawns[1].await_go);
  REQUIRE(f.host.sent.size() == 2);
  CHECK(f.host.sent[1].to == r1);
  CHECK(f.host.sent[1].msg.match_element<relay_handover_atom>(0));
}

TEST_CASE("a timed-out batch is held by its relay until a late answer",
          "[relay_set]") {
  fixture f{push_pipeline::config{4096, 5s}};
  f.relays.add(f.p1);
  auto r1 = f.relay_of(f.p1);
  f.push(1);
  auto b = f.batches_to(r1);
  f.clk.t += 5s;
  f.relays.expire();
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_reached == 0);
  REQUIRE(rep->failed_pushers.size() == 1);
  CHECK(rep->failed_pushers[0].pusher == f.p1.id()); // the pusher, not relay
  CHECK(rep->failed_pushers[0].reason == caf::sec::request_timeout);
  CHECK(f.relays.find(r1)->open == 0);
  CHECK(f.relays.find(r1)->held == 1);
  f.relays.on_answer(r1, b[0], {});
  CHECK(f.relays.find(r1)->held == 0);
}

TEST_CASE("a relay holding more than max_held_batches is replaced at "
          "expire",
          "[relay_set]") {
  fixture f{push_pipeline::config{1, 5s}};
  f.relays.add(f.p1);
  auto r1 = f.relay_of(f.p1);
  for (uint32_t i = 0; i < relay_set::max_held_batches; ++i)
    f.push(i + 1);
  f.clk.t += 5s;
  f.relays.expire();
  CHECK(f.relays.find(r1)->held == relay_set::max_held_batches);
  CHECK(f.host.spawns.size() == 1); // at the limit: kept
  f.push(5000);
  f.clk.t += 5s;
  f.relays.expire();
  // One more: a successor takes over; the old one, with nothing open, stops.
  REQUIRE(f.host.spawns.size() == 2);
  CHECK(f.host.spawns[1].await_go);
  CHECK(f.stopped(r1));
  CHECK(f.relay_of(f.p1) == f.host.spawns[1].relay.id());
  CHECK(f.relays.relays().size() == 1);
  CHECK(f.relays.ready());
  auto rep = f.report(5000);
  REQUIRE(rep != nullptr);
  CHECK(rep->failed_pushers.size() == 1);
}

TEST_CASE("a pusher that goes down fails its open batches and its relays "
          "stop",
          "[relay_set]") {
  fixture f;
  f.relays.add(f.p1);
  f.relays.add(f.p2);
  auto r1 = f.relay_of(f.p1);
  auto r2 = f.relay_of(f.p2);
  f.push(1);
  auto why = caf::make_error(caf::exit_reason::user_shutdown);
  f.relays.on_pusher_down(f.p1.id(), why);
  CHECK(f.stopped(r1));
  CHECK(f.relays.find(r1) == nullptr);
  CHECK(f.report(1) == nullptr); // p2 still has to answer
  f.relays.on_answer(r2, f.batches_to(r2)[0], {});
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_reached == 1);
  REQUIRE(rep->failed_pushers.size() == 1);
  CHECK(rep->failed_pushers[0].pusher == f.p1.id());
  CHECK(rep->failed_pushers[0].reason == why);
}

TEST_CASE("a pusher down without a reason stops draining relays too",
          "[relay_set]") {
  fixture f;
  f.relays.add(f.p1);
  auto r1 = f.relay_of(f.p1);
  f.push(1);
  f.relays.drain(f.p1.id(), true);
  auto r2 = f.relay_of(f.p1);
  f.push(2);
  f.relays.on_pusher_down(f.p1.id(), caf::error{});
  CHECK(f.stopped(r1));
  CHECK(f.stopped(r2));
  CHECK(f.relays.relays().empty());
  CHECK_FALSE(f.relays.ready());
  for (uint64_t ticket : {1, 2}) {
    auto rep = f.report(ticket);
    REQUIRE(rep != nullptr);
    CHECK(rep->users_reached == 0);
    REQUIRE(rep->failed_pushers.size() == 1);
    CHECK(rep->failed_pushers[0].reason == caf::sec::request_receiver_down);
  }
}

TEST_CASE("an answer from an unknown relay is ignored", "[relay_set]") {
  fixture f;
  f.relays.add(f.p1);
  auto r1 = f.relay_of(f.p1);
  f.push(1);
  auto b = f.batches_to(r1);
  f.relays.on_answer(r1 + 1000, b[0], {});
  CHECK(f.pipe.waiting_on(r1) == b);
  CHECK(f.relays.find(r1)->open == 1);
  CHECK(f.report(1) == nullptr);
  // And one for a batch that no longer waits changes nothing either.
  f.relays.on_answer(r1, b[0] + 1, {});
  CHECK(f.relays.find(r1)->open == 1);
  f.relays.on_answer(r1, b[0], {});
  CHECK(f.report(1) != nullptr);
}

} // namespace relay_set_tests

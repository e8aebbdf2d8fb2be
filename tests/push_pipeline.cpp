// push_pipeline with fake delivery sinks and a fake clock. Reports go to a
// client of client_replies, which needs a dummy actor for its handle; the
// pipeline itself sends nothing to any actor.

#include <catch2/catch.hpp>

#include <algorithm>

#include "registry_fakes.hpp"

// A namespace per test file: the tests build in unity batches.
namespace push_pipeline_tests {

using namespace parts;

namespace {

caf::error refused() {
  return caf::make_error(caf::sec::runtime_error, "refused");
}

struct fixture : pipeline_fixture {
  using pipeline_fixture::pipeline_fixture;

  bool answer(const fake_sink& s, size_t i, caf::actor_id waiter,
              caf::error err = {}) {
    // A waiter's failure names the pusher behind it: here, the same id.
    return pipe.on_answer(s.batch(i).id, waiter, waiter, err);
  }

  /// Every waiter answers every batch of `s` OK.
  void confirm_all(const fake_sink& s) {
    for (size_t i = 0; i < s.batches.size(); ++i)
      for (auto w : s.waiters)
        CHECK(answer(s, i, w));
  }
};

} // namespace

TEST_CASE("a push to one user's sessions goes out in one batch at flush",
          "[push_pipeline]") {
  fixture f;
  auto p = f.start(1, "hello");
  f.deliver(p, "u", {0, 0, 0});
  f.pipe.finish(p);
  CHECK(f.clk.flush_calls == 1);
  CHECK(f.local.batches.empty()); // not before the flush
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 1);
  auto& b = f.local.batch(0);
  CHECK(deliveries_of(b) == std::vector<std::string>{"u:t0,t1,t2"});
  REQUIRE(b.messages.size() == 1);
  CHECK(b.messages[0].content == "hello");
  CHECK_FALSE(b.messages[0].message_id.empty()); // stamped
  CHECK(f.pipe.open_batches() == 1);
  f.pipe.flush(); // nothing left to send
  CHECK(f.local.batches.size() == 1);
}

TEST_CASE("batches are sent as they reach batch_size", "[push_pipeline]") {
  fixture f{push_pipeline::config{2, 5s}};
  auto p = f.start(1);
  f.deliver(p, "a", {0});
  CHECK(f.local.batches.empty());
  f.deliver(p, "b", {0});
  CHECK(f.local.batches.size() == 1); // full: sent without a flush
  f.deliver(p, "c", {0});
  f.deliver(p, "d", {0});
  f.deliver(p, "e", {0});
  f.pipe.finish(p);
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 3);
  CHECK(deliveries_of(f.local.batch(0))
        == std::vector<std::string>{"a:t0", "b:t0"});
  CHECK(deliveries_of(f.local.batch(1))
        == std::vector<std::string>{"c:t0", "d:t0"});
  CHECK(deliveries_of(f.local.batch(2)) == std::vector<std::string>{"e:t0"});
  for (size_t i = 0; i < 3; ++i)
    CHECK(f.local.batch(i).messages.size() == 1);
  f.confirm_all(f.local);
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_reached == 5);
  CHECK(rep->sessions_reached == 5);
}

TEST_CASE("the report counts users and sessions once every waiter answered",
          "[push_pipeline]") {
  fixture f;
  f.local.waiters = {101, 102};
  auto p = f.start(1);
  f.deliver(p, "u", {0, 0});
  f.deliver(p, "v", {0});
  f.pipe.finish(p);
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 1);
  CHECK(f.report(1) == nullptr);
  CHECK(f.answer(f.local, 0, 101));
  CHECK(f.report(1) == nullptr); // 102 has not answered
  CHECK_FALSE(f.answer(f.local, 0, 101)); // a second answer does not count
  CHECK(f.answer(f.local, 0, 102));
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 2);
  CHECK(rep->users_reached == 2);
  CHECK(rep->sessions_reached == 3);
  CHECK(rep->failed_pushers.empty());
  CHECK(rep->message_id == f.local.batch(0).messages[0].message_id);
  CHECK(f.counters.pushes.load() == 1);
  CHECK(f.counters.deliveries.load() == 3);
  CHECK(f.pipe.open_pushes() == 0);
  CHECK(f.pipe.open_batches() == 0);
  CHECK_FALSE(f.answer(f.local, 0, 102)); // the batch is settled
}

TEST_CASE("a failed pusher is named once over several batches",
          "[push_pipeline]") {
  fixture f{push_pipeline::config{1, 5s}};
  f.local.waiters = {101, 102};
  auto p = f.start(1);
  f.deliver(p, "u", {0});
  f.deliver(p, "v", {0});
  f.pipe.finish(p);
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(f.answer(f.local, i, 101));
    CHECK(f.answer(f.local, i, 102, refused()));
  }
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_reached == 2); // 101 took both batches
  REQUIRE(rep->failed_pushers.size() == 1);
  CHECK(rep->failed_pushers[0].pusher == 102);
  CHECK(rep->failed_pushers[0].reason == caf::sec::runtime_error);
}

TEST_CASE("a batch every waiter failed reaches nobody", "[push_pipeline]") {
  fixture f;
  f.local.waiters = {101, 102};
  auto p = f.start(1);
  f.deliver(p, "u", {0});
  f.pipe.finish(p);
  f.pipe.flush();
  CHECK(f.answer(f.local, 0, 101, refused()));
  CHECK(f.answer(f.local, 0, 102, refused()));
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 1);
  CHECK(rep->users_reached == 0);
  CHECK(rep->sessions_reached == 0);
  CHECK(rep->failed_pushers.size() == 2);
  CHECK(f.counters.deliveries.load() == 0);
}

TEST_CASE("sessions behind a sink that is not ready are targeted, not "
          "reached",
          "[push_pipeline]") {
  fixture f;
  f.local.make_ready(false);
  CHECK_FALSE(f.pipe.local_ready());
  auto p = f.start(1);
  f.deliver(p, "u", {0, 0});
  f.pipe.finish(p);
  // Nothing to wait for: the report is complete at once.
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 1);
  CHECK(rep->users_reached == 0);
  f.pipe.flush();
  CHECK(f.local.batches.empty());
}

TEST_CASE("a sink that stops being ready before the flush reaches nobody",
          "[push_pipeline]") {
  fixture f;
  auto p = f.start(1);
  f.deliver(p, "u", {0});
  f.pipe.finish(p);
  f.local.make_ready(false); // e.g. the last pusher went down
  f.pipe.flush();
  CHECK(f.local.batches.empty());
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 1);
  CHECK(rep->users_reached == 0);
  CHECK(f.pipe.open_pushes() == 0);
}

TEST_CASE("a batch nobody waits for settles at once", "[push_pipeline]") {
  fixture f;
  f.local.waiters.clear();
  auto p = f.start(1);
  f.deliver(p, "u", {0});
  f.pipe.finish(p);
  f.pipe.flush();
  CHECK(f.local.batches.size() == 1);
  CHECK(f.pipe.open_batches() == 0);
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_reached == 0);
}

TEST_CASE("expire fails waiters past the deadline and asks for the next "
          "check",
          "[push_pipeline]") {
  fixture f{push_pipeline::config{4096, 5s}};
  auto timeout = caf::make_error(caf::sec::request_timeout);
  auto fail_waiter = [&](uint64_t batch, caf::actor_id waiter) {
    CHECK(f.pipe.on_answer(batch, waiter, waiter, timeout));
  };
  auto t0 = f.clk.t;
  auto p1 = f.start(1);
  f.deliver(p1, "u", {0});
  f.pipe.finish(p1);
  f.pipe.flush();
  CHECK(f.clk.expiry_requests == std::vector<caf::timespan>{5s});
  f.clk.t = t0 + 2s;
  auto p2 = f.start(2);
  f.deliver(p2, "v", {0});
  f.pipe.finish(p2);
  f.pipe.flush();
  CHECK(f.clk.expiry_requests.size() == 1); // one check at a time
  // Early: nothing is due; the next check comes at the first deadline.
  f.clk.t = t0 + 4s;
  f.pipe.expire(fail_waiter);
  CHECK(f.report(1) == nullptr);
  REQUIRE(f.clk.expiry_requests.size() == 2);
  CHECK(f.clk.expiry_requests.back() == caf::timespan{1s});
  f.clk.t = t0 + 5s;
  f.pipe.expire(fail_waiter);
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_reached == 0);
  REQUIRE(rep->failed_pushers.size() == 1);
  CHECK(rep->failed_pushers[0].pusher == 101);
  CHECK(rep->failed_pushers[0].reason == caf::sec::request_timeout);
  CHECK(f.report(2) == nullptr);
  REQUIRE(f.clk.expiry_requests.size() == 3);
  CHECK(f.clk.expiry_requests.back() == caf::timespan{2s});
  // A late answer to the expired batch is ignored.
  CHECK_FALSE(f.answer(f.local, 0, 101));
  f.clk.t = t0 + 7s;
  f.pipe.expire(fail_waiter);
  CHECK(f.report(2) != nullptr);
  CHECK(f.clk.expiry_requests.size() == 3); // nothing left to check
}

TEST_CASE("waiting_on lists the batches a waiter has not answered",
          "[push_pipeline]") {
  fixture f{push_pipeline::config{1, 5s}};
  f.local.waiters = {101, 102};
  auto p = f.start(1);
  f.deliver(p, "u", {0});
  f.deliver(p, "v", {0});
  f.pipe.finish(p);
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 2);
  auto b0 = f.local.batch(0).id;
  auto b1 = f.local.batch(1).id;
  auto w = f.pipe.waiting_on(101);
  std::sort(w.begin(), w.end());
  auto both = std::vector<uint64_t>{std::min(b0, b1), std::max(b0, b1)};
  CHECK(w == both);
  CHECK(f.answer(f.local, 0, 101));
  CHECK(f.pipe.waiting_on(101) == std::vector<uint64_t>{b1});
  CHECK(f.pipe.waiting_on(102).size() == 2);
  CHECK(f.pipe.waiting_on(999).empty());
}

TEST_CASE("push_direct reports through its batch, without a push state",
          "[push_pipeline]") {
  fixture f;
  f.local.waiters = {101, 102};
  auto msg = make_text_message("direct");
  auto xs = sessions({0, 0});
  f.pipe.push_direct(msg, reply_target{f.client, 9, {}}, "u", xs.data(),
                     xs.size());
  CHECK(f.pipe.open_pushes() == 0);
  CHECK(f.clk.flush_calls == 1);
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 1);
  auto& b = f.local.batch(0);
  CHECK(deliveries_of(b) == std::vector<std::string>{"u:t0,t1"});
  REQUIRE(b.messages.size() == 1);
  CHECK(b.messages[0].content == "direct");
  CHECK(f.answer(f.local, 0, 101));
  CHECK(f.report(9) == nullptr);
  CHECK(f.answer(f.local, 0, 102, refused()));
  auto rep = f.report(9);
  REQUIRE(rep != nullptr);
  CHECK(rep->message_id == b.messages[0].message_id);
  CHECK_FALSE(rep->message_id.empty());
  CHECK(rep->users_targeted == 1);
  CHECK(rep->users_reached == 1);
  CHECK(rep->sessions_reached == 2);
  REQUIRE(rep->failed_pushers.size() == 1);
  CHECK(rep->failed_pushers[0].pusher == 102);
  CHECK(f.counters.pushes.load() == 1);
  CHECK(f.counters.deliveries.load() == 2);
}

TEST_CASE("push_direct's report counts nothing reached when all fail",
          "[push_pipeline]") {
  fixture f;
  auto msg = make_text_message("direct");
  auto xs = sessions({0});
  f.pipe.push_direct(msg, reply_target{f.client, 9, {}}, "u", xs.data(),
                     xs.size());
  f.pipe.flush();
  CHECK(f.answer(f.local, 0, 101, refused()));
  auto rep = f.report(9);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 1);
  CHECK(rep->users_reached == 0);
  CHECK(rep->sessions_reached == 0);
}

TEST_CASE("start_keeping leaves the message with the caller until its only "
          "delivery takes it",
          "[push_pipeline]") {
  fixture f;
  auto msg = make_text_message("kept");
  auto p = f.pipe.start_keeping(msg, reply_target{f.client, 1, {}});
  CHECK_FALSE(msg.message_id.empty()); // stamped in place
  CHECK(f.pipe.at(p).report.message_id == msg.message_id);
  auto xs = sessions({0});
  f.pipe.add_delivery(p, "u", xs.data(), xs.size(), true, &msg);
  f.pipe.finish(p);
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 1);
  CHECK(f.local.batch(0).messages.at(0).content == "kept");
}

// -- owners -------------------------------------------------------------------

TEST_CASE("each owner's sessions go to that owner's sink; a user split over "
          "owners counts once",
          "[push_pipeline]") {
  fixture f;
  fake_sink remote;
  remote.waiters = {201};
  f.pipe.set_sink(1, &remote);
  auto p = f.start(1, "to all");
  f.deliver(p, "u", {1, 1});
  f.deliver(p, "v", {0});
  f.deliver(p, "w", {0, 1, 0});
  f.pipe.finish(p);
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 1);
  REQUIRE(remote.batches.size() == 1);
  CHECK(deliveries_of(f.local.batch(0))
        == std::vector<std::string>{"v:t0", "w:t0,t2"});
  CHECK(deliveries_of(remote.batch(0))
        == std::vector<std::string>{"u:t0,t1", "w:t1"});
  // Each batch carries its own copy of the message.
  CHECK(remote.batch(0).messages.at(0).content == "to all");
  CHECK(f.local.batch(0).messages.at(0).content == "to all");
  f.confirm_all(f.local);
  CHECK(f.report(1) == nullptr); // the remote batch is still open
  f.confirm_all(remote);
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 3);
  CHECK(rep->users_reached == 3);
  CHECK(rep->sessions_reached == 6);
}

TEST_CASE("sessions of an owner without a sink are targeted, never reached",
          "[push_pipeline]") {
  fixture f;
  auto p = f.start(1);
  f.deliver(p, "u", {2, 2});
  f.deliver(p, "v", {0, 2});
  f.pipe.finish(p);
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 1);
  CHECK(deliveries_of(f.local.batch(0)) == std::vector<std::string>{"v:t0"});
  f.confirm_all(f.local);
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 2);
  CHECK(rep->users_reached == 1);
  CHECK(rep->sessions_reached == 1);
}

// A user whose sessions span owners counts once as reached if any of its
// parts is accepted (delivery_report: "users with at least one session that
// at least one pusher accepted"), also when the owner of its first session
// has no sink.
TEST_CASE("a split user is reached when its first session's owner has no "
          "sink",
          "[push_pipeline]") {
  fixture f;
  auto p = f.start(1);
  f.deliver(p, "u", {2, 0});
  f.pipe.finish(p);
  f.pipe.flush();
  REQUIRE(f.local.batches.size() == 1);
  CHECK(deliveries_of(f.local.batch(0)) == std::vector<std::string>{"u:t1"});
  f.confirm_all(f.local);
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 1);
  CHECK(rep->sessions_reached == 1);
  CHECK(rep->users_reached == 1);
}

// The same with both sinks present: only the later owner's batch is
// accepted.
TEST_CASE("a split user is reached when only a later owner's batch is "
          "accepted",
          "[push_pipeline]") {
  fixture f;
  fake_sink remote;
  remote.waiters = {201};
  f.pipe.set_sink(1, &remote);
  auto p = f.start(1);
  f.deliver(p, "u", {1, 0});
  f.pipe.finish(p);
  f.pipe.flush();
  REQUIRE(remote.batches.size() == 1);
  REQUIRE(f.local.batches.size() == 1);
  CHECK(f.pipe.on_answer(remote.batch(0).id, 201, 201, refused()));
  f.confirm_all(f.local);
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->sessions_reached == 1);
  CHECK(rep->users_reached == 1);
}

TEST_CASE("all_local says whether every session is this node's",
          "[push_pipeline]") {
  auto none = sessions({});
  CHECK(push_pipeline::all_local(none.data(), 0));
  auto mine = sessions({0, 0});
  CHECK(push_pipeline::all_local(mine.data(), mine.size()));
  auto mixed = sessions({0, 1});
  CHECK_FALSE(push_pipeline::all_local(mixed.data(), mixed.size()));
  auto theirs = sessions({3});
  CHECK_FALSE(push_pipeline::all_local(theirs.data(), theirs.size()));
}

} // namespace push_pipeline_tests

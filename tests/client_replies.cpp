// client_replies: a plain class. A client is a caf::actor, so the tests
// spawn dummy clients in a small actor system; nothing is ever sent to them
// (sending is the fake callee's job).

#include <catch2/catch.hpp>

#include "registry_fakes.hpp"

// A namespace per test file: the tests build in unity batches.
namespace client_replies_tests {

using namespace parts;

namespace {

struct fixture {
  mini_system ms;
  reply_log log;
  client_replies replies{log};
  caf::actor a = ms.dummy();
  caf::actor b = ms.dummy();

  uint32_t client(const caf::actor& x) {
    bool added = false;
    return replies.client_of(x, added);
  }

  void add_results(uint32_t c, uint64_t first, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      replies.result(c, first + i).change.status = change_status::joined;
      replies.written(c);
    }
  }
};

} // namespace

TEST_CASE("each client gets one index, new ones say so",
          "[client_replies]") {
  fixture f;
  bool added = false;
  CHECK(f.replies.client_of(f.a, added) == 0);
  CHECK(added);
  CHECK(f.replies.client_of(f.b, added) == 1);
  CHECK(added);
  CHECK(f.replies.client_of(f.a, added) == 0);
  CHECK_FALSE(added);
  CHECK(f.replies.size() == 2);
}

TEST_CASE("results go out once a chunk is full, the rest at flush",
          "[client_replies]") {
  fixture f;
  auto c = f.client(f.a);
  f.add_results(c, 1, client_replies::results_chunk - 1);
  CHECK(f.log.sent.empty());
  CHECK(f.log.waiting_calls > 0); // the actor is to flush later
  f.add_results(c, client_replies::results_chunk, 1);
  REQUIRE(f.log.sent.size() == 1);
  CHECK(f.log.sent[0].to == f.a.id());
  auto& chunk = f.log.sent[0].out.results;
  REQUIRE(chunk.size() == client_replies::results_chunk);
  CHECK(chunk.front().ticket == 1);
  CHECK(chunk.back().ticket == client_replies::results_chunk);
  f.add_results(c, 5000, 2);
  CHECK(f.log.sent.size() == 1);
  f.replies.flush();
  REQUIRE(f.log.sent.size() == 2);
  CHECK(f.log.sent[1].out.results.size() == 2);
  CHECK(f.log.sent[1].out.results[1].ticket == 5001);
}

TEST_CASE("flush sends only to clients with something waiting",
          "[client_replies]") {
  fixture f;
  f.client(f.a);
  auto cb = f.client(f.b);
  f.replies.flush();
  CHECK(f.log.sent.empty());
  f.add_results(cb, 7, 1);
  f.replies.flush();
  REQUIRE(f.log.sent.size() == 1);
  CHECK(f.log.sent[0].to == f.b.id());
  // Sent results are not sent again.
  f.replies.flush();
  CHECK(f.log.sent.size() == 1);
}

TEST_CASE("batch_done counts batches and hands back a bounded number of "
          "emptied vectors",
          "[client_replies]") {
  fixture f;
  auto c = f.client(f.a);
  auto n = max_spare_batches + 3;
  for (size_t i = 0; i < n; ++i) {
    std::vector<client_op> ops(4);
    f.replies.batch_done(c, std::move(ops));
  }
  CHECK(f.log.sent.empty()); // batch_done alone sends nothing yet
  CHECK(f.log.waiting_calls == 1); // one flush asked for, not one per batch
  f.replies.flush();
  REQUIRE(f.log.sent.size() == 1);
  auto& out = f.log.sent[0].out;
  CHECK(out.batches_done == n);
  CHECK(out.results.empty());
  REQUIRE(out.spares.size() == max_spare_batches);
  for (auto& v : out.spares) {
    CHECK(v.empty());
    CHECK(v.capacity() >= 4); // kept for the facade to fill again
  }
  // The count starts over after each message, and a flush is asked again.
  f.replies.batch_done(c, {});
  CHECK(f.log.waiting_calls == 2);
  f.replies.flush();
  REQUIRE(f.log.sent.size() == 2);
  CHECK(f.log.sent[1].out.batches_done == 1);
}

TEST_CASE("a dropped client's later results go nowhere", "[client_replies]") {
  fixture f;
  auto c = f.client(f.a);
  f.add_results(c, 1, 3);
  CHECK(f.replies.drop(f.a.id()));
  CHECK_FALSE(f.replies.drop(f.a.id()));
  CHECK_FALSE(f.replies.drop(f.b.id()));
  // Results still routed to its index: no send, whether the chunk fills or
  // the registry flushes.
  f.add_results(c, 10, client_replies::results_chunk + 1);
  f.replies.batch_done(c, {});
  f.replies.flush();
  CHECK(f.log.sent.empty());
  CHECK(f.replies.size() == 1); // the index stays, empty
  // The same actor again is a new client.
  bool added = false;
  CHECK(f.replies.client_of(f.a, added) == 1);
  CHECK(added);
  f.replies.flush();
  CHECK(f.log.sent.empty()); // nothing of the old index came along
}

TEST_CASE("complete and fail write a client's result under its ticket",
          "[client_replies]") {
  fixture f;
  auto c = f.client(f.a);
  reply_target changed{c, 7, {}};
  f.replies.complete(changed, change_result{change_status::left, 2, 1});
  reply_target pushed{c, 8, {}};
  delivery_report rep;
  rep.message_id = "m1";
  rep.users_reached = 3;
  f.replies.complete(pushed, std::move(rep));
  reply_target failed{c, 9, {}};
  f.replies.fail(failed, caf::make_error(caf::sec::runtime_error));
  f.replies.flush();
  REQUIRE(f.log.result_count() == 3);
  auto r7 = f.log.result(7);
  REQUIRE(r7 != nullptr);
  CHECK(r7->change.status == change_status::left);
  CHECK(r7->change.sessions == 2);
  CHECK(r7->change.removed == 1);
  CHECK_FALSE(r7->err);
  auto r8 = f.log.result(8);
  REQUIRE(r8 != nullptr);
  CHECK(r8->report.message_id == "m1");
  CHECK(r8->report.users_reached == 3);
  auto r9 = f.log.result(9);
  REQUIRE(r9 != nullptr);
  CHECK(r9->err == caf::sec::runtime_error);
}

TEST_CASE("a typed target without a pending promise gets nothing",
          "[client_replies]") {
  fixture f;
  f.client(f.a);
  reply_target rt; // no_client, default promise
  REQUIRE(rt.client == reply_target::no_client);
  f.replies.complete(rt, change_result{change_status::joined, 1, 0});
  f.replies.complete(rt, delivery_report{});
  f.replies.fail(rt, caf::make_error(caf::sec::runtime_error));
  CHECK(f.log.waiting_calls == 0);
  f.replies.flush();
  CHECK(f.log.sent.empty());
}

} // namespace client_replies_tests

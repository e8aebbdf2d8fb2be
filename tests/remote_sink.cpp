// remote_sink with a fake callee that records the routed pushes it is asked
// to send, and a real pipeline with a fake clock: what a remote owner node
// gets (the message once, the login ids, within the caps) and how its
// answers merge into the pushes' reports.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <caf/exit_reason.hpp>

#include "registry/remote_sink.hpp"
#include "registry_fakes.hpp"

// A namespace per test file: the tests build in unity batches.
namespace remote_sink_tests {

using namespace parts;

namespace {

struct route_log : remote_sink::callee {
  struct routed {
    owner_id owner;
    std::string node;
    client_op op;
    uint64_t ticket;
  };
  std::vector<routed> sent;

  void send_route(owner_id owner, const std::string& node, client_op&& op,
                  uint64_t ticket) override {
    sent.push_back(routed{owner, node, std::move(op), ticket});
  }
};

struct fixture : pipeline_fixture {
  route_log routes;
  remote_sink b;
  remote_sink c;

  explicit fixture(remote_sink::caps caps = {})
    : b(routes, pipe, 1, "b", caps), c(routes, pipe, 2, "c", caps) {
    pipe.set_sink(1, &b);
    pipe.set_sink(2, &c);
    b.set_up(true);
    c.set_up(true);
  }

  /// The owner's answer to routed push `i`: every listed user reached
  /// except `offline`, with `sessions` sessions.
  void answer(remote_sink& sink, size_t i, uint64_t sessions,
              std::vector<std::string> offline = {}) {
    auto& r = routes.sent.at(i);
    op_result res;
    res.report.message_id = r.op.message.message_id;
    res.report.users_targeted = r.op.login_ids.size() - offline.size();
    res.report.users_reached = res.report.users_targeted;
    res.report.sessions_reached = sessions;
    res.report.not_online = std::move(offline);
    sink.on_answer(r.ticket, std::move(res));
  }
};

} // namespace

TEST_CASE("a remote owner gets the message once with the login ids",
          "[remote_sink]") {
  fixture f;
  auto p = f.start(1);
  f.deliver(p, "u1", {1, 1});
  f.deliver(p, "u2", {1});
  f.deliver(p, "u3", {2});
  f.pipe.finish(p);
  f.pipe.flush();
  REQUIRE(f.routes.sent.size() == 2);
  auto& to_b = f.routes.sent[0];
  CHECK(to_b.node == "b");
  CHECK(to_b.op.kind == op_kind::push_users);
  CHECK(to_b.op.login_ids == std::vector<std::string>{"u1", "u2"});
  CHECK(to_b.op.message.content == "hi");
  CHECK_FALSE(to_b.op.message.message_id.empty());
  auto& to_c = f.routes.sent[1];
  CHECK(to_c.node == "c");
  CHECK(to_c.op.login_ids == std::vector<std::string>{"u3"});
  CHECK(to_c.op.message.message_id == to_b.op.message.message_id);
  CHECK(f.local.batches.empty());
  f.answer(f.b, 0, 3);
  CHECK(f.report(1) == nullptr);
  f.answer(f.c, 1, 1);
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 3);
  CHECK(rep->users_reached == 3);
  CHECK(rep->sessions_reached == 4);
  CHECK(rep->failed_pushers.empty());
  CHECK(f.b.open_requests() == 0);
}

TEST_CASE("a user on several owners counts once; a user the owner no longer "
          "has is not reached",
          "[remote_sink]") {
  fixture f;
  auto p = f.start(1);
  f.deliver(p, "both", {0, 1, 2});
  f.deliver(p, "gone", {1});
  f.pipe.finish(p);
  f.pipe.flush();
  REQUIRE(f.routes.sent.size() == 2);
  REQUIRE(f.local.batches.size() == 1);
  f.pipe.on_answer(f.local.batch(0).id, 101, 101, {});
  f.answer(f.b, 0, 1, {"gone"});
  f.answer(f.c, 1, 1);
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 2);
  CHECK(rep->users_reached == 1);
  CHECK(rep->sessions_reached == 3);
}

TEST_CASE("an owner that fails or is lost fails its part, named by node",
          "[remote_sink]") {
  fixture f;
  auto p = f.start(1);
  f.deliver(p, "u1", {1});
  f.deliver(p, "u2", {2});
  f.pipe.finish(p);
  f.pipe.flush();
  REQUIRE(f.routes.sent.size() == 2);
  // c answers with one failed pusher of its own; b's link is lost.
  op_result res;
  res.report.users_targeted = 1;
  res.report.failed_pushers.push_back(
    pusher_failure{7, caf::make_error(caf::sec::request_timeout), "forged"});
  f.c.on_answer(f.routes.sent[1].ticket, std::move(res));
  f.b.fail_all(caf::make_error(caf::exit_reason::remote_link_unreachable));
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_reached == 0);
  CHECK(rep->sessions_reached == 0);
  REQUIRE(rep->failed_pushers.size() == 2);
  auto by = [&](const std::string& node) {
    for (auto& x : rep->failed_pushers)
      if (x.node == node)
        return x;
    return pusher_failure{};
  };
  CHECK(by("b").pusher == 0);
  CHECK(by("b").reason
        == caf::make_error(caf::exit_reason::remote_link_unreachable));
  CHECK(by("c").pusher == 7);
  // A late answer after the failure changes nothing.
  f.answer(f.b, 0, 1);
  CHECK(f.b.open_requests() == 0);
}

TEST_CASE("routed pushes stay within the caps in ids and bytes",
          "[remote_sink]") {
  SECTION("count") {
    fixture f{remote_sink::caps{2, 1 << 20}};
    auto p = f.start(1);
    for (int i = 0; i < 5; ++i)
      f.deliver(p, "u" + std::to_string(i), {1});
    f.pipe.finish(p);
    f.pipe.flush();
    REQUIRE(f.routes.sent.size() == 3);
    CHECK(f.routes.sent[0].op.login_ids
          == std::vector<std::string>{"u0", "u1"});
    CHECK(f.routes.sent[2].op.login_ids == std::vector<std::string>{"u4"});
    f.answer(f.b, 0, 2);
    f.answer(f.b, 1, 2, {"u3"});
    CHECK(f.report(1) == nullptr);
    f.answer(f.b, 2, 1);
    auto rep = f.report(1);
    REQUIRE(rep != nullptr);
    CHECK(rep->users_reached == 4);
    CHECK(rep->sessions_reached == 5);
  }
  SECTION("bytes") {
    fixture f{remote_sink::caps{1000, 400}};
    auto p = f.start(1);
    std::string long_id(100, 'x');
    for (char k = 'a'; k < 'k'; ++k)
      f.deliver(p, long_id + k, {1});
    f.pipe.finish(p);
    f.pipe.flush();
    REQUIRE(f.routes.sent.size() > 1);
    size_t ids = 0;
    for (auto& r : f.routes.sent) {
      size_t bytes = 64 + r.op.message.content.size()
                     + r.op.message.message_id.size();
      for (auto& x : r.op.login_ids)
        bytes += x.size() + 8;
      CHECK(bytes <= 400);
      ids += r.op.login_ids.size();
    }
    CHECK(ids == 10);
  }
}

TEST_CASE("a broadcast goes to each remote owner once", "[remote_sink]") {
  fixture f;
  auto p = f.start(1);
  f.pipe.add_owner_broadcast(p, 1, 2, 3);
  f.pipe.add_owner_broadcast(p, 2, 1, 1);
  f.pipe.at(p).report.users_targeted = 3;
  f.pipe.finish(p);
  REQUIRE(f.routes.sent.size() == 2);
  CHECK(f.routes.sent[0].op.kind == op_kind::broadcast);
  CHECK(f.routes.sent[0].op.login_ids.empty());
  f.answer(f.b, 0, 4);
  // c has pushers that all failed: its users do not count.
  op_result res;
  res.report.users_targeted = 1;
  res.report.failed_pushers.push_back(
    pusher_failure{9, caf::make_error(caf::sec::request_timeout), {}});
  f.c.on_answer(f.routes.sent[1].ticket, std::move(res));
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_reached == 2);
  CHECK(rep->sessions_reached == 4);
  REQUIRE(rep->failed_pushers.size() == 1);
  CHECK(rep->failed_pushers[0].node == "c");
}

TEST_CASE("a sink that is down takes nothing", "[remote_sink]") {
  fixture f;
  f.b.set_up(false);
  auto p = f.start(1);
  f.deliver(p, "u", {1});
  f.pipe.finish(p);
  f.pipe.flush();
  CHECK(f.routes.sent.empty());
  auto rep = f.report(1);
  REQUIRE(rep != nullptr);
  CHECK(rep->users_targeted == 1);
  CHECK(rep->users_reached == 0);
}

} // namespace remote_sink_tests

// A pusher that never answers must not cost the registry memory for ever:
// CAF 0.17 keeps the response handler of every request whose receiver never
// answers, so the batches of such a pusher are requested by a relay actor
// that is replaced (and exits, freeing them) when they pile up, when the
// pusher dies or when it is unsubscribed. The pass conditions are about
// memory (glibc's count of allocated bytes, all arenas), never about time.

#include <malloc.h>

#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace pusher_memory_tests {

using namespace presence;
using namespace test;

namespace {

/// Bytes allocated by malloc, all arenas.
size_t allocated() {
  return mallinfo2().uordblks;
}

/// Counts batches without keeping them (a test's own bookkeeping must not
/// show up in the memory it measures).
struct batch_counter {
  std::mutex mtx;
  std::condition_variable cv;
  size_t count = 0;

  void add() {
    {
      std::lock_guard<std::mutex> guard{mtx};
      ++count;
    }
    cv.notify_all();
  }

  /// Waits (event-based) until `n` batches arrived; returns the count.
  size_t wait(size_t n) {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait_for(guard, std::chrono::seconds(30), [&] { return count >= n; });
    return count;
  }
};

/// A pusher that consumes every batch and never answers it, keeping nothing:
/// whatever memory its batches cost is the requester's.
pusher_actor::behavior_type black_hole(pusher_actor::pointer self,
                                       std::shared_ptr<batch_counter> seen) {
  return {
    [=](deliver_atom, const delivery_batch&) -> caf::result<void> {
      seen->add();
      return self->make_response_promise();
    },
  };
}

struct stalled_registry {
  env e{[](caf::actor_system_config& cfg) {
    // Every push is a batch of its own, and each times out almost at once.
    cfg.set("presence.batch-size", size_t{1});
    cfg.set("presence.pusher-timeout",
            caf::timespan{std::chrono::milliseconds(1)});
  }};
  registry_actor reg = ok(spawn_registry(e.sys));
  caf::scoped_actor self{e.sys};

  stalled_registry() {
    auto r = ok(ask<change_result>(self, reg, mark_online_atom::value,
                                   user("alice", "t1")));
    REQUIRE(r.status == change_status::joined);
  }

  ~stalled_registry() {
    caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
  }

  pusher_actor subscribe_black_hole(std::shared_ptr<batch_counter> seen) {
    auto p = e.sys.spawn(black_hole, std::move(seen));
    auto r = ok(ask<change_result>(self, reg, subscribe_atom::value, p));
    REQUIRE(r.status == change_status::subscribed);
    return p;
  }

  /// Kills `p` and waits until the registry no longer counts it: its down
  /// message reaches the registry asynchronously, and a push issued before
  /// that would still list the dead pusher among its failures. An
  /// unsubscribe sent after the down is ordered behind it for the registry.
  void kill_and_forget(const pusher_actor& p) {
    caf::anon_send_exit(p, caf::exit_reason::kill);
    REQUIRE(await_down(e.sys, p));
    auto r = ok(ask<change_result>(self, reg, unsubscribe_atom::value, p));
    CHECK((r.status == change_status::unknown_pusher
           || r.status == change_status::unsubscribed));
  }

  /// `n` pushes to alice, pipelined in rounds of `round` (so that the
  /// registry's slabs, sized for the most pushes in flight at once, reach the
  /// same size in every run); every report must name the timeout.
  void push_and_time_out(size_t n, size_t round = 1000) {
    auto dest = caf::actor_cast<caf::actor>(reg);
    size_t timed_out = 0;
    size_t received = 0;
    bool late = false;
    for (size_t sent = 0; sent < n && !late;) {
      auto k = std::min(round, n - sent);
      for (size_t i = 0; i < k; ++i)
        self->send(dest, push_atom::value, std::string{"alice"},
                   make_text_message("x"));
      sent += k;
      while (received < sent && !late)
        self->receive(
          [&](delivery_report& rep) {
            ++received;
            if (rep.failed_pushers.size() == 1
                && rep.failed_pushers[0].reason == caf::sec::request_timeout)
              ++timed_out;
          },
          caf::after(std::chrono::seconds(30)) >> [&] { late = true; });
    }
    REQUIRE(received == n);
    CHECK(timed_out == n);
  }
};

constexpr size_t batches = 30000;
// A leak of ~250 bytes per batch would be ~7 MiB.
constexpr size_t slack = 2 * 1024 * 1024;

} // namespace

TEST_CASE("a stalled pusher's batches are freed once it is removed",
          "[pushers][relay][memory]") {
  stalled_registry r;
  // Warm-up: the same work once, so that pools, caches and the registry's
  // slabs (sized for the most pushes in flight at once) hold what they will
  // hold anyway.
  {
    auto seen = std::make_shared<batch_counter>();
    auto p = r.subscribe_black_hole(seen);
    r.push_and_time_out(batches);
    r.kill_and_forget(p);
  }
  ok(ask<uint64_t>(r.self, r.reg, online_count_atom::value));
  auto before = allocated();
  SECTION("killed") {
    auto seen = std::make_shared<batch_counter>();
    auto p = r.subscribe_black_hole(seen);
    r.push_and_time_out(batches);
    CHECK(seen->wait(batches) == batches);
    caf::anon_send_exit(p, caf::exit_reason::kill);
    REQUIRE(await_down(r.e.sys, p));
  }
  SECTION("unsubscribed") {
    auto seen = std::make_shared<batch_counter>();
    auto p = r.subscribe_black_hole(seen);
    r.push_and_time_out(batches);
    CHECK(seen->wait(batches) == batches);
    auto res = ok(ask<change_result>(r.self, r.reg, unsubscribe_atom::value, p));
    CHECK(res.status == change_status::unsubscribed);
    // The pusher lives on; the registry must not keep its batches anyway.
    ok(ask<uint64_t>(r.self, r.reg, online_count_atom::value));
    auto back = wait_until([&] { return allocated() <= before + slack; });
    INFO("allocated before " << before << ", now " << allocated());
    CHECK(back);
    caf::anon_send_exit(p, caf::exit_reason::kill);
    REQUIRE(await_down(r.e.sys, p));
  }
  ok(ask<uint64_t>(r.self, r.reg, online_count_atom::value));
  // The relay's exit is asynchronous: wait for its effect on memory.
  auto back = wait_until([&] { return allocated() <= before + slack; });
  INFO("allocated before " << before << ", now " << allocated());
  CHECK(back);
}

TEST_CASE("a stalled pusher that stays subscribed costs bounded memory",
          "[pushers][relay][memory]") {
  stalled_registry r;
  auto seen = std::make_shared<batch_counter>();
  auto p = r.subscribe_black_hole(seen);
  // Warm-up, as above.
  r.push_and_time_out(batches);
  ok(ask<uint64_t>(r.self, r.reg, online_count_atom::value));
  auto before = allocated();
  r.push_and_time_out(batches);
  CHECK(seen->wait(2 * batches) == 2 * batches);
  auto bounded = wait_until([&] { return allocated() <= before + slack; });
  INFO("allocated before " << before << ", now " << allocated());
  CHECK(bounded);
  // The pusher is still subscribed and still gets every batch.
  r.push_and_time_out(1);
  CHECK(seen->wait(2 * batches + 1) == 2 * batches + 1);
  caf::anon_send_exit(p, caf::exit_reason::kill);
}

TEST_CASE("a late answer from a pusher still counts before the timeout and "
          "is ignored after it",
          "[pushers][relay]") {
  env e{[](caf::actor_system_config& cfg) {
    cfg.set("presence.pusher-timeout",
            caf::timespan{std::chrono::seconds(20)});
  }};
  online_manager m{e.sys};
  test_pusher slow{e.sys, pusher_mode::hold};
  ok(m.register_pusher(slow));
  ok(m.mark_online(user("alice", "t1")));
  auto p = m.push_to_user("alice", "held");
  REQUIRE(slow.events().wait_deliveries(1));
  CHECK_FALSE(p.ready());
  slow.release();
  auto rep = ok(p);
  CHECK(rep.users_reached == 1);
  CHECK(rep.failed_pushers.empty());
}

namespace {

/// What a stalled pusher saw: message contents in arrival order, and the
/// distinct actors that sent it batches.
struct arrivals {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::string> contents;
  std::set<caf::actor_id> senders;

  size_t wait(size_t n) {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait_for(guard, std::chrono::seconds(30),
                [&] { return contents.size() >= n; });
    return contents.size();
  }
};

pusher_actor::behavior_type recording_black_hole(pusher_actor::pointer self,
                                                 std::shared_ptr<arrivals> a) {
  return {
    [=](deliver_atom, const delivery_batch& batch) -> caf::result<void> {
      {
        std::lock_guard<std::mutex> guard{a->mtx};
        for (auto& msg : batch.messages)
          a->contents.push_back(msg.content);
        if (auto sender = self->current_sender())
          a->senders.insert(sender->id());
      }
      a->cv.notify_all();
      return self->make_response_promise();
    },
  };
}

} // namespace

TEST_CASE("batches reach a stalled pusher in order across relay replacements",
          "[pushers][relay]") {
  stalled_registry r;
  auto a = std::make_shared<arrivals>();
  auto p = r.e.sys.spawn(recording_black_hole, a);
  ok(ask<change_result>(r.self, r.reg, subscribe_atom::value, p));
  // Sent one at a time in rounds: each push is a batch of its own.
  constexpr size_t n = 5000;
  auto dest = caf::actor_cast<caf::actor>(r.reg);
  for (size_t sent = 0; sent < n; sent += 500) {
    for (size_t i = sent; i < sent + 500; ++i)
      r.self->send(dest, push_atom::value, std::string{"alice"},
                   make_text_message(std::to_string(i)));
    for (size_t i = 0; i < 500; ++i) {
      bool late = false;
      r.self->receive([](delivery_report&) {},
                      caf::after(std::chrono::seconds(30)) >> [&] { late = true; });
      REQUIRE_FALSE(late);
    }
  }
  REQUIRE(a->wait(n) == n);
  std::lock_guard<std::mutex> guard{a->mtx};
  size_t in_order = 0;
  for (size_t i = 0; i < n; ++i)
    if (a->contents[i] == std::to_string(i))
      ++in_order;
  CHECK(in_order == n);
  // 5,000 unanswered batches went through more than one relay.
  CHECK(a->senders.size() > 1);
  caf::anon_send_exit(p, caf::exit_reason::kill);
}

} // namespace pusher_memory_tests

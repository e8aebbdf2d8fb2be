// Presence events: exact scripts, batching under churn, unsubscribed and dead
// subscribers, and when a batch goes out.

#include "deterministic.hpp"

// A namespace per test file: the tests build in unity batches.
namespace events_tests {

using namespace presence;
using namespace test;
using namespace std::chrono_literals;

TEST_CASE("a subscriber sees exactly the events of a scripted sequence") {
  deterministic t{idle(60s)};
  t.subscribe_events();
  t.online("ann", "p", "ios");
  t.online("ann", "w", "web");
  t.online("ann", "w", "web"); // same token again
  t.call<change_result>(update_metadata_atom::value, std::string{"ann"},
                        std::string{"p"}, metadata_map{{"status", "busy"}});
  t.call<change_result>(mark_offline_atom::value, std::string{"ann"},
                        std::string{"w"});
  t.online("ben", "b1");
  t.call<delivery_report>(kick_atom::value, std::string{"ben"},
                          std::string{"spam"});
  t.advance(61s);
  CHECK(t.rec->event_lines()
        == lines{"online ann p login",     "joined ann p login",
                 "joined ann w login",     "updated ann w reconnect",
                 "updated ann p metadata", "left ann w logout",
                 "online ben b1 login",    "joined ben b1 login",
                 "kicked ben b1 spam",     "offline ben b1 spam",
                 "expired ann p idle",     "offline ann p idle"});
  auto ev = t.rec->events();
  CHECK(ev[4].session.metadata == metadata_map{{"status", "busy"}});
  // Batches continue one sequence.
  uint64_t next = 0;
  for (auto& b : t.rec->event_batches) {
    CHECK(b.first_seq == next);
    next += b.events.size();
  }
}

TEST_CASE("events under churn arrive batched and in order per user") {
  deterministic t;
  t.subscribe_events();
  // One client batch of 300 calls: the registry runs them back to back, so
  // the subscriber gets their events in far fewer messages than changes.
  std::vector<detail::client_op> ops;
  for (int i = 0; i < 100; ++i) {
    auto id = "u" + std::to_string(i);
    ops.push_back(t.call_of(detail::op_kind::mark_online, id, "t"));
    ops.push_back(t.call_of(detail::op_kind::mark_offline, id, "t"));
    ops.push_back(t.call_of(detail::op_kind::mark_online, id, "t2"));
  }
  t.send_batch(std::move(ops));
  t.sched.run();
  auto ev = t.rec->events();
  REQUIRE(ev.size() == 100 * 6);
  CHECK(t.rec->event_batches.size() <= 2);
  for (int i = 0; i < 100; ++i) {
    auto id = "u" + std::to_string(i);
    lines mine;
    for (auto& e : ev)
      if (e.session.login_id == id)
        mine.push_back(to_string(e.kind) + " " + e.session.token);
    CHECK(mine
          == lines{"online t", "joined t", "left t", "offline t", "online t2",
                   "joined t2"});
  }
}

TEST_CASE("unsubscribed and dead subscribers get no more events") {
  deterministic t;
  t.subscribe_events();
  t.online("a", "1");
  auto n = t.rec->events().size();
  CHECK(t.call<change_result>(unsubscribe_events_atom::value, t.subscriber)
          .status
        == change_status::unsubscribed);
  CHECK(t.call<change_result>(unsubscribe_events_atom::value, t.subscriber)
          .status
        == change_status::unknown_subscriber);
  t.online("b", "1");
  CHECK(t.rec->events().size() == n);
  // A subscriber that dies is dropped: the registry keeps working.
  t.subscribe_events();
  caf::anon_send_exit(t.subscriber, caf::exit_reason::kill);
  t.sched.run();
  t.online("c", "1");
  CHECK(t.is_online("c"));
  CHECK(t.rec->events().size() == n);
  auto r = t.ask<change_result>(subscribe_events_atom::value,
                                event_subscriber_actor{});
  CHECK_PRESENCE_ERROR(err_of(r), invalid_subscriber);
}

TEST_CASE("events wait for the registry to be idle for at most 10 ms") {
  // One message per resume, so the test can run the registry message by
  // message and look at the subscriber in between.
  deterministic t{[](caf::actor_system_config& cfg) {
    cfg.set("scheduler.max-throughput", 1);
  }};
  t.subscribe_events();
  auto login = [&](const std::string& id) {
    t.send_batch({t.call_of(detail::op_kind::mark_online, id, "t")});
  };
  // Two logins queued back to back: the first one's events wait behind the
  // second login (the flush message is queued after it) ...
  login("a");
  login("b");
  t.sched.run_once(); // the registry handles a's login
  t.sched.run_once(); // ... and b's: still within 10 ms, no batch yet
  while (t.sched.try_run_once()) {
    if (t.rec->event_batches.size() == 1) {
      // ... and go out together once the registry has run dry.
      CHECK(t.rec->events().size() == 4);
      break;
    }
  }
  CHECK(t.rec->event_batches.size() == 1);
  // With 11 ms between two queued logins, the first batch goes out while
  // work is still queued: before the registry handles its flush message.
  login("c");
  login("d");
  t.sched.run_once(); // c
  t.sched.advance_time(std::chrono::milliseconds(11));
  t.sched.run_once(); // d: 11 ms since the last batch, flush now
  CHECK(t.rec->event_batches.size() == 1); // the subscriber has not run yet
  // Run the subscriber now, while the registry's flush message is still
  // queued: the batch is already there.
  REQUIRE(t.sched.prioritize(t.subscriber));
  t.sched.run_once();
  CHECK(t.rec->event_batches.size() == 2);
  CHECK(t.rec->event_batches.back().events.size() == 4);
  t.sched.run();
  CHECK(t.rec->events().size() == 8);
}

} // namespace events_tests

// event_outbox: a plain class, no actor system.

#include <catch2/catch.hpp>

#include <chrono>

#include "registry/event_outbox.hpp"

// A namespace per test file: the tests build in unity batches.
namespace event_outbox_tests {

using namespace std::chrono_literals;
using presence::event_kind;
using presence::presence_event;
using presence::detail::event_outbox;
using tp = event_outbox::time_point;

namespace {

presence_event ev(const char* token) {
  presence_event e;
  e.kind = event_kind::joined;
  e.session.login_id = "u";
  e.session.token = token;
  return e;
}

} // namespace

TEST_CASE("batches continue one sequence", "[event_outbox]") {
  event_outbox out{10ms};
  out.start(tp{0ms});
  CHECK(out.take(tp{1ms}).events.empty());
  out.add(ev("a"));
  out.add(ev("b"));
  CHECK(out.back().session.token == "b");
  auto first = out.take(tp{2ms});
  CHECK(first.first_seq == 0);
  REQUIRE(first.events.size() == 2);
  CHECK(first.events[0].session.token == "a");
  CHECK(out.empty());
  out.add(ev("c"));
  auto second = out.take(tp{3ms});
  CHECK(second.first_seq == 2);
  CHECK(second.events.size() == 1);
}

TEST_CASE("events are overdue once max_delay passed since the last flush",
          "[event_outbox]") {
  event_outbox out{10ms};
  out.start(tp{100ms});
  CHECK_FALSE(out.overdue(tp{200ms})); // nothing waits
  out.add(ev("a"));
  CHECK_FALSE(out.overdue(tp{109ms}));
  CHECK(out.overdue(tp{110ms}));
  out.take(tp{110ms});
  out.add(ev("b"));
  CHECK_FALSE(out.overdue(tp{119ms}));
  // Every flush restarts the clock.
  out.take(tp{125ms});
  out.add(ev("c"));
  CHECK_FALSE(out.overdue(tp{134ms}));
  CHECK(out.overdue(tp{135ms}));
}

} // namespace event_outbox_tests

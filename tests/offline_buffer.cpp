// The offline buffer: messages kept for offline users, delivered in order on
// login, expired after the ttl, bounded per user, and waiting for a pusher.

#include "deterministic.hpp"

// A namespace per test file: the tests build in unity batches.
namespace offline_buffer_tests {

using namespace presence;
using namespace test;
using namespace std::chrono_literals;

namespace {

push_message kept(std::string content) {
  auto m = make_text_message(std::move(content));
  m.keep_if_offline = true;
  return m;
}

} // namespace

TEST_CASE("buffered messages arrive in order when the user comes online") {
  deterministic t;
  for (auto c : {"m1", "m2", "m3"}) {
    auto rep = t.call<delivery_report>(push_atom::value, std::string{"dan"},
                                       kept(c));
    CHECK(rep.buffered == 1);
    CHECK(rep.not_online == lines{"dan"});
  }
  // Not kept unless asked.
  t.call<delivery_report>(push_atom::value, std::string{"dan"},
                          make_text_message("lost"));
  CHECK(t.stats().buffer_size == 3);
  t.online("dan", "d1");
  CHECK(t.rec->to_token("d1") == lines{"Text:m1", "Text:m2", "Text:m3"});
  CHECK(t.stats().buffer_size == 0);
  // Delivered once: a second login finds the buffer empty.
  t.call<change_result>(mark_offline_atom::value, std::string{"dan"},
                        std::string{"d1"});
  t.online("dan", "d2");
  CHECK(t.rec->to_token("d2").empty());
}

TEST_CASE("buffered messages expire after the ttl and are counted") {
  deterministic t{[](caf::actor_system_config& cfg) {
    cfg.set("presence.offline-buffer-ttl", caf::timespan{30s});
  }};
  t.call<delivery_report>(push_atom::value, std::string{"dan"}, kept("old"));
  t.advance(20s);
  t.call<delivery_report>(push_atom::value, std::string{"dan"}, kept("new"));
  t.advance(10s);
  CHECK(t.stats().drops == 1);
  CHECK(t.stats().buffer_size == 1);
  t.online("dan", "d1");
  CHECK(t.rec->to_token("d1") == lines{"Text:new"});
}

TEST_CASE("the per-user buffer keeps the newest messages and counts drops") {
  deterministic t{[](caf::actor_system_config& cfg) {
    cfg.set("presence.offline-buffer-size", 2);
  }};
  uint64_t dropped = 0;
  for (auto c : {"a", "b", "c", "d"})
    dropped += t.call<delivery_report>(push_atom::value, std::string{"dan"},
                                       kept(c))
                 .dropped;
  CHECK(dropped == 2);
  CHECK(t.stats().drops == 2);
  t.online("dan", "d1");
  CHECK(t.rec->to_token("d1") == lines{"Text:c", "Text:d"});
}

TEST_CASE("multi-user pushes buffer for the offline users only") {
  deterministic t;
  t.online("on", "o1");
  auto rep = t.call<delivery_report>(push_atom::value, lines{"on", "off"},
                                     kept("hi"));
  CHECK(rep.users_reached == 1);
  CHECK(rep.buffered == 1);
  t.online("off", "f1");
  CHECK(t.rec->to_token("f1") == lines{"Text:hi"});
  CHECK(t.rec->to_token("o1") == lines{"Text:hi"});
}

TEST_CASE("buffered messages wait for the first pusher when none is "
          "subscribed") {
  deterministic t;
  t.call<change_result>(unsubscribe_atom::value, t.pusher);
  t.call<delivery_report>(push_atom::value, std::string{"dan"}, kept("m1"));
  t.online("dan", "d1");
  CHECK(t.stats().buffer_size == 1);
  t.call<change_result>(subscribe_atom::value, t.pusher);
  CHECK(t.rec->to_token("d1") == lines{"Text:m1"});
  CHECK(t.stats().buffer_size == 0);
}

} // namespace offline_buffer_tests

// Calls on one user made while its actor is deciding an earlier login are
// parked and replayed in order. Each parked call must be replayed once: n
// pipelined logins on one user are linear work, not n^2 (the registry counts
// every call it parks in its view's counters).

#include "actors/registry_actor.hpp"
#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace parked_replay_tests {

using namespace presence;
using namespace test;

namespace {

struct counted_registry {
  env e;
  std::shared_ptr<detail::presence_view> view
    = std::make_shared<detail::presence_view>();
  registry_actor reg = detail::spawn_registry_actor(
    e.sys, ok(read_settings(e.sys)), view);
  caf::scoped_actor self{e.sys};

  ~counted_registry() {
    caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
  }

  uint64_t parks() const {
    return view->counters.parks.load();
  }

  /// Sends every message without waiting, then receives the answers (in the
  /// order the registry sent them) and hands each to `f`.
  template <class T, class F>
  void pipeline(std::vector<caf::message> msgs, F f) {
    auto dest = caf::actor_cast<caf::actor>(reg);
    for (auto& msg : msgs)
      self->send(dest, std::move(msg));
    for (size_t i = 0; i < msgs.size(); ++i) {
      bool late = false;
      self->receive([&](T& x) { f(i, x); },
                    [&](caf::error& err) {
                      FAIL("call " << i << " failed: " << caf::to_string(err));
                    },
                    caf::after(std::chrono::seconds(30)) >> [&] { late = true; });
      REQUIRE_FALSE(late);
    }
  }
};

} // namespace

TEST_CASE("pipelined logins on one user are replayed once each, in order",
          "[registry][parked]") {
  counted_registry r;
  ok(ask<change_result>(r.self, r.reg, mark_online_atom::value,
                        user("alice", "t0")));
  constexpr size_t n = 5000;
  std::vector<caf::message> msgs;
  for (size_t i = 1; i <= n; ++i)
    msgs.push_back(caf::make_message(mark_online_atom::value,
                                     user("alice", "t" + std::to_string(i))));
  auto parks_before = r.parks();
  size_t in_order = 0;
  r.pipeline<change_result>(std::move(msgs), [&](size_t i, change_result& x) {
    // Answers come in call order, each seeing every earlier login applied.
    if (x.status == change_status::joined && x.sessions == i + 2)
      ++in_order;
  });
  CHECK(in_order == n);
  auto parks = r.parks() - parks_before;
  INFO(parks << " parks for " << n << " pipelined calls");
  // Each call parks at most once (most do: all but the first find the user
  // busy with an earlier login).
  CHECK(parks <= n);
  CHECK(ok(ask<std::vector<online_user>>(r.self, r.reg, user_sessions_atom::value,
                                         std::string{"alice"}))
          .size()
        == n + 1);
}

TEST_CASE("parked calls of every kind replay in call order",
          "[registry][parked]") {
  counted_registry r;
  auto uid = std::string{"bob"};
  ok(ask<change_result>(r.self, r.reg, mark_online_atom::value,
                        user(uid, "a")));
  // Each login is forwarded to bob's actor; what follows it parks.
  std::vector<caf::message> msgs;
  msgs.push_back(caf::make_message(mark_online_atom::value, user(uid, "b")));
  msgs.push_back(caf::make_message(mark_offline_atom::value, uid,
                                   std::string{"a"}));
  msgs.push_back(caf::make_message(update_metadata_atom::value, uid,
                                   std::string{"b"},
                                   metadata_map{{"k", "v"}}));
  msgs.push_back(caf::make_message(mark_online_atom::value, user(uid, "c")));
  msgs.push_back(caf::make_message(mark_offline_all_atom::value, uid));
  msgs.push_back(caf::make_message(mark_online_atom::value, user(uid, "d")));
  msgs.push_back(caf::make_message(mark_online_atom::value, user(uid, "e")));
  msgs.push_back(caf::make_message(update_activity_atom::value, uid,
                                   std::string{"d"}));
  msgs.push_back(caf::make_message(mark_offline_atom::value, uid,
                                   std::string{"e"}));
  std::vector<std::pair<change_status, uint32_t>> got;
  r.pipeline<change_result>(std::move(msgs), [&](size_t, change_result& x) {
    got.emplace_back(x.status, x.sessions);
  });
  std::vector<std::pair<change_status, uint32_t>> expected{
    {change_status::joined, 2},   {change_status::left, 1},
    {change_status::updated, 1},  {change_status::joined, 2},
    {change_status::user_offline, 0}, {change_status::joined, 1},
    {change_status::joined, 2},   {change_status::refreshed, 2},
    {change_status::left, 1},
  };
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("call " << i);
    CHECK(got[i].first == expected[i].first);
    CHECK(got[i].second == expected[i].second);
  }
  auto sessions = ok(ask<std::vector<online_user>>(
    r.self, r.reg, user_sessions_atom::value, uid));
  CHECK(tokens_of(sessions) == std::vector<std::string>{"d"});
}

} // namespace parked_replay_tests

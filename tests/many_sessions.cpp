// One user with many sessions: past session_list's scan limit the registry's
// table and the user actor keep their sessions in the list's large mode
// (found by index, removed by moving the last record into the hole). What
// the API shows must not change: session lists, event order (login order
// within one removal), kicks by device, policy victims on equal connect
// times, and the way back below the limit.

#include <algorithm>
#include <random>

#include "registry/session_list.hpp"
#include "deterministic.hpp"

// A namespace per test file: the tests build in unity batches.
namespace many_sessions_tests {

using namespace presence;
using namespace test;

namespace {

constexpr size_t limit
  = detail::session_list<int, std::allocator<int>>::linear_limit;

std::string tok(size_t i) {
  return "t" + std::to_string(i);
}

const char* device_of(size_t i) {
  static const char* devices[] = {"ios", "web", "android"};
  return devices[i % 3];
}

/// The user's tokens in the order the registry lists them (login order,
/// though the README promises none).
lines listed(deterministic& t, const std::string& login_id) {
  lines result;
  for (auto& x : t.call<std::vector<online_user>>(user_sessions_atom::value,
                                                  login_id))
    result.push_back(x.token);
  return result;
}

} // namespace

TEST_CASE("a user with many sessions keeps order and events exact",
          "[many_sessions]") {
  deterministic t;
  t.subscribe_events();
  auto n = limit * 6;
  lines order; // the model: tokens in login order
  for (size_t i = 0; i < n; ++i) {
    auto r = t.online("max", tok(i), device_of(i));
    REQUIRE(r.status == change_status::joined);
    REQUIRE(r.sessions == i + 1);
    order.push_back(tok(i));
  }
  CHECK(listed(t, "max") == order);
  // The same token again is a reconnect, in place.
  CHECK(t.online("max", tok(5), device_of(5)).status
        == change_status::reconnected);
  CHECK(listed(t, "max") == order);

  SECTION("logouts in random order") {
    std::mt19937 rng(7);
    auto victims = order;
    std::shuffle(victims.begin(), victims.end(), rng);
    victims.resize(n / 2);
    auto events_before = t.rec->events().size();
    for (auto& v : victims) {
      auto r = t.call<change_result>(mark_offline_atom::value,
                                     std::string{"max"}, v);
      REQUIRE(r.status == change_status::left);
      order.erase(std::find(order.begin(), order.end(), v));
      REQUIRE(r.sessions == order.size());
      // A gone token is unknown, to the table and to the actor alike.
      REQUIRE(t.call<change_result>(update_activity_atom::value,
                                    std::string{"max"}, v)
                .status
              == change_status::unknown_token);
    }
    CHECK(listed(t, "max") == order);
    auto ev = t.rec->event_lines();
    lines want;
    for (auto& v : victims)
      want.push_back("left max " + v + " logout");
    CHECK(lines(ev.begin() + static_cast<ptrdiff_t>(events_before), ev.end())
          == want);
    // Every remaining token is still found by both.
    for (auto& x : order)
      REQUIRE(t.call<change_result>(update_activity_atom::value,
                                    std::string{"max"}, x)
                .status
              == change_status::refreshed);
    CHECK(t.call<change_result>(update_metadata_atom::value,
                                std::string{"max"}, order.back(),
                                metadata_map{{"k", "v"}})
            .status
          == change_status::updated);
  }

  SECTION("a kick by device reports in login order") {
    auto events_before = t.rec->events().size();
    auto rep = t.call<delivery_report>(kick_device_atom::value,
                                       std::string{"max"}, std::string{"web"},
                                       std::string{"security"});
    lines want, left;
    for (size_t i = 0; i < n; ++i)
      (std::string{device_of(i)} == "web" ? want : left).push_back(tok(i));
    CHECK(rep.sessions_reached == want.size());
    for (auto& x : want)
      x = "kicked max " + x + " security";
    auto ev = t.rec->event_lines();
    CHECK(lines(ev.begin() + static_cast<ptrdiff_t>(events_before), ev.end())
          == want);
    CHECK(listed(t, "max") == left);
  }

  SECTION("back below the limit, up again, then all at once") {
    // Logging out from the front moves the last session into each hole.
    while (order.size() > limit / 2 - 1) {
      t.call<change_result>(mark_offline_atom::value, std::string{"max"},
                            order.front());
      order.erase(order.begin());
    }
    CHECK(listed(t, "max") == order);
    for (size_t i = n; i < n + limit * 2; ++i) {
      t.online("max", tok(i), device_of(i));
      order.push_back(tok(i));
    }
    CHECK(listed(t, "max") == order);
    auto events_before = t.rec->events().size();
    auto r = t.call<change_result>(mark_offline_all_atom::value,
                                   std::string{"max"});
    CHECK(r.status == change_status::user_offline);
    CHECK(r.sessions == 0);
    lines want;
    for (auto& x : order)
      want.push_back("left max " + x + " logout");
    want.push_back("offline max " + order.back() + " logout");
    auto ev = t.rec->event_lines();
    CHECK(lines(ev.begin() + static_cast<ptrdiff_t>(events_before), ev.end())
          == want);
    CHECK_FALSE(t.is_online("max"));
  }
}

TEST_CASE("a policy past the scan limit replaces the earliest login on a tie",
          "[many_sessions]") {
  deterministic t;
  t.subscribe_events();
  auto max = static_cast<int32_t>(limit * 3);
  login_policy p{max, false, limit_action::replace};
  // One connect time for all: the tie goes to login order.
  auto at = caf::timestamp{std::chrono::seconds(1000)};
  auto login = [&](size_t i) {
    auto u = user("pol", tok(i));
    u.connect_time = at;
    return t.call<change_result>(mark_online_atom::value, u, p);
  };
  for (size_t i = 0; i < static_cast<size_t>(max); ++i)
    REQUIRE(login(i).status == change_status::joined);
  // Free a slot in the middle, fill it, then go past the limit twice.
  t.call<change_result>(mark_offline_atom::value, std::string{"pol"}, tok(3));
  login(1000);
  login(1001);
  login(1002);
  auto listed_now = listed(t, "pol");
  CHECK(std::count(listed_now.begin(), listed_now.end(), tok(0)) == 0);
  CHECK(std::count(listed_now.begin(), listed_now.end(), tok(1)) == 0);
  CHECK(std::count(listed_now.begin(), listed_now.end(), tok(2)) == 1);
  CHECK(t.rec->to_token(tok(0)) == lines{"KickOut:replaced"});
  CHECK(t.rec->to_token(tok(1)) == lines{"KickOut:replaced"});
  CHECK(listed_now.size() == static_cast<size_t>(max));
}

} // namespace many_sessions_tests

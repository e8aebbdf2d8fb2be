// The local owner's outbound side (cluster/owner_log.hpp): seq numbers,
// deltas without no-ops, snapshots cut by a byte budget, and a replica that
// takes them ending with the owner's sessions and digest.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <tuple>

#include "cluster/owner_log.hpp"
#include "cluster/replica_state.hpp"

// A namespace per test file: the tests build in unity batches.
namespace owner_log_tests {

using namespace presence::cluster;

namespace {

replica_session sess(std::string login, std::string token,
                     std::string device = "web") {
  caf::timestamp t{std::chrono::seconds{1}};
  return replica_session{std::move(login), std::move(token), std::move(device),
                         t, t, {}};
}

} // namespace

TEST_CASE("each change that changes something gets the next seq",
          "[owner_log]") {
  owner_log log{"a", 42};
  CHECK(log.seq() == 0);
  auto d = log.upsert(sess("u1", "t1"));
  REQUIRE(d);
  CHECK(d->owner == "a");
  CHECK(d->incarnation == 42);
  CHECK(d->seq == 1);
  CHECK(!log.upsert(sess("u1", "t1")));
  CHECK(!log.remove("u1", "nope"));
  CHECK(log.seq() == 1);
  d = log.upsert(sess("u1", "t1", "ios"));
  REQUIRE(d);
  CHECK(d->seq == 2);
  // A step keeps only its ops that change something.
  d = log.commit({session_op{op_kind::upsert, sess("u1", "t1", "ios")},
                  session_op{op_kind::upsert, sess("u2", "t2")}});
  REQUIRE(d);
  CHECK(d->seq == 3);
  REQUIRE(d->ops.size() == 1);
  CHECK(d->ops[0].session.token == "t2");
  d = log.remove("u1", "t1");
  REQUIRE(d);
  CHECK(d->seq == 4);
  CHECK(d->ops[0].kind == op_kind::remove);
  CHECK(log.sessions() == std::vector<replica_session>{sess("u2", "t2")});
}

TEST_CASE("a snapshot is cut into chunks by a byte budget", "[owner_log]") {
  owner_log log{"a", 42};
  SECTION("no sessions: one empty last chunk") {
    auto cs = log.snapshot(100);
    REQUIRE(cs.size() == 1);
    CHECK(cs[0].index == 0);
    CHECK(cs[0].last);
    CHECK(cs[0].sessions.empty());
  }
  SECTION("many sessions") {
    for (int i = 0; i < 50; ++i)
      log.upsert(sess("user" + std::to_string(i), "tok" + std::to_string(i)));
    auto one = owner_log::encoded_size(sess("user10", "tok10"));
    auto budget = 3 * one;
    auto cs = log.snapshot(budget);
    CHECK(cs.size() > 10);
    std::vector<replica_session> all;
    for (size_t i = 0; i < cs.size(); ++i) {
      CHECK(cs[i].index == i);
      CHECK(cs[i].last == (i + 1 == cs.size()));
      CHECK(cs[i].seq == 50);
      CHECK(cs[i].incarnation == 42);
      size_t bytes = 0;
      for (auto& s : cs[i].sessions)
        bytes += owner_log::encoded_size(s);
      CHECK(bytes <= budget);
      CHECK(!cs[i].sessions.empty());
      all.insert(all.end(), cs[i].sessions.begin(), cs[i].sessions.end());
    }
    // A snapshot's order is not part of its contract; sessions() sorts.
    std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
      return std::tie(x.login_id, x.token) < std::tie(y.login_id, y.token);
    });
    CHECK(all == log.sessions());
  }
  SECTION("a session over the budget gets a chunk of its own") {
    log.upsert(sess("u1", "t1"));
    log.upsert(sess("u2", "t2"));
    auto cs = log.snapshot(1);
    REQUIRE(cs.size() == 2);
    CHECK(cs[0].sessions.size() == 1);
    CHECK(cs[1].sessions.size() == 1);
  }
}

TEST_CASE("a replica of the log ends with its sessions and digest",
          "[owner_log][replica_state]") {
  owner_log log{"a", 42};
  log.upsert(sess("u1", "t1"));
  log.upsert(sess("u2", "t2"));
  replica_state st;
  for (auto& c : log.snapshot(40))
    st.apply(c);
  auto d1 = log.upsert(sess("u3", "t3"));
  auto d2 = log.remove("u1", "t1");
  CHECK(st.apply(*d1).status == apply_status::applied);
  CHECK(st.apply(*d2).status == apply_status::applied);
  CHECK(st.sessions("a") == log.sessions());
  CHECK(st.digest() == log.digest());
  CHECK(!st.behind("a", log.incarnation(), log.seq()));
}

TEST_CASE("find and the digest follow changes and removals", "[owner_log]") {
  owner_log log{"a", 42};
  log.upsert(sess("u1", "t1"));
  log.upsert(sess("u1", "t2"));
  log.upsert(sess("u2", "t3"));
  log.upsert(sess("u1", "t1", "ios"));
  log.remove("u2", "t3");
  REQUIRE(log.find("u1", "t1"));
  CHECK(log.find("u1", "t1")->device == "ios");
  CHECK(!log.find("u2", "t3"));
  CHECK(log.session_count() == 2);
  // The running sum equals a log that only ever saw the sessions left.
  owner_log fresh{"a", 42};
  fresh.upsert(sess("u1", "t2"));
  fresh.upsert(sess("u1", "t1", "ios"));
  CHECK(log.digest() == fresh.digest());
  CHECK(log.sessions() == fresh.sessions());
}

} // namespace owner_log_tests

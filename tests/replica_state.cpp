// The replicas of other owners' sessions (cluster/replica_state.hpp): deltas
// in order, gaps, snapshots and their diff, incarnations, dropped owners, the
// queries, the digest and the conflict order.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

#include "cluster/conflict.hpp"
#include "cluster/replica_state.hpp"
#include "cluster/view_digest.hpp"

#include "replication_values.hpp"

// A namespace per test file: the tests build in unity batches.
namespace replica_state_tests {

using namespace presence::cluster;

namespace {

using test::at;
using test::chunk;
using test::delta;
using test::rm;
using test::sess;
using test::snap;
using test::up;

/// (kind, token) of each change, sorted, for comparing diffs.
std::vector<std::pair<change_kind, std::string>>
summary(const view_changes& xs) {
  std::vector<std::pair<change_kind, std::string>> out;
  for (auto& x : xs)
    out.emplace_back(x.kind, x.session.token);
  std::sort(out.begin(), out.end());
  return out;
}

constexpr auto joined = change_kind::joined;
constexpr auto left = change_kind::left;
constexpr auto updated = change_kind::updated;

} // namespace

TEST_CASE("an owner is unknown until its first snapshot",
          "[replica_state]") {
  replica_state st;
  auto r = st.apply(delta("b", 7, 1, {up(sess("u1", "t1"))}));
  CHECK(r.status == apply_status::needs_snapshot);
  CHECK(r.changes.empty());
  CHECK(!st.status("b"));
  r = st.apply(snap("b", 7, 0, {}));
  CHECK(r.status == apply_status::applied);
  CHECK(r.changes.empty());
  REQUIRE(st.status("b"));
  CHECK(st.status("b")->incarnation == 7);
  CHECK(st.status("b")->seq == 0);
  CHECK(st.status("b")->sessions == 0);
  CHECK(st.owners() == std::vector<std::string>{"b"});
}

TEST_CASE("deltas apply in order and answer what changed", "[replica_state]") {
  replica_state st;
  st.apply(snap("b", 7, 0, {}));
  auto r = st.apply(delta("b", 7, 1, {up(sess("u1", "t1")),
                                      up(sess("u1", "t2"))}));
  CHECK(r.status == apply_status::applied);
  CHECK(summary(r.changes)
        == decltype(summary(r.changes)){{joined, "t1"}, {joined, "t2"}});
  REQUIRE(r.changes.size() == 2);
  CHECK(r.changes[0].owner == "b");
  CHECK(r.changes[0].reason == change_reason::delta);
  CHECK(r.changes[0].session.login_id == "u1");
  auto changed = sess("u1", "t1");
  changed.metadata["room"] = "7";
  r = st.apply(delta("b", 7, 2, {up(changed), rm("u1", "t2")}));
  CHECK(summary(r.changes)
        == decltype(summary(r.changes)){{left, "t2"}, {updated, "t1"}});
  CHECK(r.changes[0].session == changed);
  // An identical upsert and the removal of an unknown session change
  // nothing in the view, but use the seq.
  r = st.apply(delta("b", 7, 3, {up(changed), rm("u1", "nope")}));
  CHECK(r.status == apply_status::applied);
  CHECK(r.changes.empty());
  CHECK(st.status("b")->seq == 3);
  CHECK(st.session_count() == 1);
  CHECK(st.sessions("b") == std::vector<replica_session>{changed});
}

TEST_CASE("a duplicate delta is ignored, a gap needs a snapshot",
          "[replica_state]") {
  replica_state st;
  st.apply(snap("b", 7, 4, {sess("u1", "t1")}));
  auto r = st.apply(delta("b", 7, 4, {rm("u1", "t1")}));
  CHECK(r.status == apply_status::ignored);
  r = st.apply(delta("b", 7, 6, {rm("u1", "t1")}));
  CHECK(r.status == apply_status::needs_snapshot);
  CHECK(r.changes.empty());
  CHECK(st.status("b")->seq == 4);
  CHECK(st.session_count() == 1);
  // The missing delta still applies if it comes late.
  r = st.apply(delta("b", 7, 5, {up(sess("u2", "t2"))}));
  CHECK(r.status == apply_status::applied);
  r = st.apply(delta("b", 7, 6, {rm("u1", "t1")}));
  CHECK(r.status == apply_status::applied);
  CHECK(st.sessions("b") == std::vector<replica_session>{sess("u2", "t2")});
}

TEST_CASE("a delta of another incarnation needs a snapshot",
          "[replica_state]") {
  replica_state st;
  st.apply(snap("b", 7, 2, {sess("u1", "t1")}));
  auto r = st.apply(delta("b", 8, 3, {rm("u1", "t1")}));
  CHECK(r.status == apply_status::needs_snapshot);
  CHECK(st.status("b")->incarnation == 7);
  CHECK(st.session_count() == 1);
  CHECK(!st.behind("b", 7, 2));
  CHECK(st.behind("b", 7, 3));
  CHECK(st.behind("b", 8, 0));
  CHECK(st.behind("c", 1, 0));
}

TEST_CASE("a snapshot replaces the copy: joined, left, updated",
          "[replica_state]") {
  replica_state st;
  st.apply(snap("b", 7, 1, {sess("u1", "keep"), sess("u1", "gone"),
                            sess("u2", "change")}));
  auto r = st.apply(snap("b", 7, 5, {sess("u1", "keep"), sess("u3", "new"),
                                     sess("u2", "change", 2, "ios")}));
  CHECK(r.status == apply_status::applied);
  CHECK(summary(r.changes)
        == decltype(summary(r.changes)){
          {joined, "new"}, {left, "gone"}, {updated, "change"}});
  for (auto& c : r.changes)
    CHECK(c.reason == change_reason::snapshot);
  CHECK(st.status("b")->seq == 5);
  CHECK(st.session_count() == 3);
  // Deltas continue from the snapshot's seq.
  CHECK(st.apply(delta("b", 7, 6, {rm("u3", "new")})).status
        == apply_status::applied);
  // A snapshot older than what deltas reached is ignored.
  r = st.apply(snap("b", 7, 5, {}));
  CHECK(r.status == apply_status::ignored);
  CHECK(st.session_count() == 2);
}

TEST_CASE("a new incarnation's snapshot drops the old one's sessions",
          "[replica_state]") {
  replica_state st;
  st.apply(snap("b", 7, 9, {sess("u1", "t1"), sess("u2", "t2")}));
  // u1/t1 comes back identical in the new incarnation: still a new session.
  auto r = st.apply(snap("b", 8, 0, {sess("u1", "t1"), sess("u3", "t3")}));
  CHECK(r.status == apply_status::applied);
  CHECK(summary(r.changes)
        == decltype(summary(r.changes)){{joined, "t1"},
                                        {joined, "t3"},
                                        {left, "t1"},
                                        {left, "t2"}});
  for (auto& c : r.changes)
    CHECK(c.reason == change_reason::new_incarnation);
  CHECK(st.status("b")->incarnation == 8);
  CHECK(st.status("b")->seq == 0);
  CHECK(st.session_count() == 2);
  CHECK(st.apply(delta("b", 7, 10, {})).status
        == apply_status::needs_snapshot);
  CHECK(st.apply(delta("b", 8, 1, {})).status == apply_status::applied);
}

TEST_CASE("snapshot chunks accumulate; the last one replaces at once",
          "[replica_state]") {
  replica_state st;
  st.apply(snap("b", 7, 1, {sess("u1", "old")}));
  auto r = st.apply(chunk("b", 7, 3, 0, false, {sess("u1", "a")}));
  CHECK(r.status == apply_status::pending);
  r = st.apply(chunk("b", 7, 3, 1, false, {sess("u2", "b")}));
  CHECK(r.status == apply_status::pending);
  // Nothing changed yet; deltas still apply meanwhile.
  CHECK(st.sessions("b") == std::vector<replica_session>{sess("u1", "old")});
  CHECK(st.apply(delta("b", 7, 2, {})).status == apply_status::applied);
  r = st.apply(chunk("b", 7, 3, 2, true, {sess("u3", "c")}));
  CHECK(r.status == apply_status::applied);
  CHECK(summary(r.changes)
        == decltype(summary(r.changes)){
          {joined, "a"}, {joined, "b"}, {joined, "c"}, {left, "old"}});
  CHECK(st.status("b")->seq == 3);
  CHECK(st.session_count() == 3);
}

TEST_CASE("a chunk out of order breaks the snapshot", "[replica_state]") {
  replica_state st;
  st.apply(snap("b", 7, 1, {sess("u1", "old")}));
  SECTION("a skipped chunk") {
    st.apply(chunk("b", 7, 3, 0, false, {sess("u1", "a")}));
    CHECK(st.apply(chunk("b", 7, 3, 2, true, {})).status
          == apply_status::needs_snapshot);
  }
  SECTION("a chunk of another snapshot") {
    st.apply(chunk("b", 7, 3, 0, false, {sess("u1", "a")}));
    CHECK(st.apply(chunk("b", 8, 3, 1, true, {})).status
          == apply_status::needs_snapshot);
  }
  SECTION("a chunk with no start") {
    CHECK(st.apply(chunk("b", 7, 3, 1, true, {})).status
          == apply_status::needs_snapshot);
  }
  // The broken snapshot is gone: its last chunk does not complete it.
  CHECK(st.apply(chunk("b", 7, 3, 1, true, {})).status
        == apply_status::needs_snapshot);
  CHECK(st.sessions("b") == std::vector<replica_session>{sess("u1", "old")});
  // A new chunk 0 starts over.
  st.apply(chunk("b", 7, 4, 0, false, {sess("u1", "x")}));
  CHECK(st.apply(chunk("b", 7, 4, 1, true, {})).status
        == apply_status::applied);
  CHECK(st.sessions("b") == std::vector<replica_session>{sess("u1", "x")});
}

TEST_CASE("dropping an owner makes its sessions leave", "[replica_state]") {
  replica_state st;
  st.apply(snap("b", 7, 1, {sess("u1", "t1"), sess("u2", "t2")}));
  st.apply(snap("c", 9, 1, {sess("u1", "t3")}));
  st.apply(chunk("b", 7, 2, 0, false, {}));
  auto out = st.drop_owner("b", change_reason::owner_down);
  CHECK(summary(out)
        == decltype(summary(out)){{left, "t1"}, {left, "t2"}});
  for (auto& c : out) {
    CHECK(c.reason == change_reason::owner_down);
    CHECK(c.owner == "b");
  }
  CHECK(!st.status("b"));
  CHECK(st.session_count() == 1);
  CHECK(st.drop_owner("b", change_reason::owner_left).empty());
  // Its unfinished snapshot went with it.
  CHECK(st.apply(chunk("b", 7, 2, 1, true, {})).status
        == apply_status::needs_snapshot);
}

TEST_CASE("queries: a user's sessions and a token's holders",
          "[replica_state]") {
  replica_state st;
  st.apply(snap("b", 7, 1, {sess("u1", "t1", 5), sess("u10", "t9"),
                            sess("u2", "t2")}));
  st.apply(snap("c", 9, 1, {sess("u1", "t1", 6), sess("u1", "t3")}));
  auto xs = st.sessions_of("u1");
  REQUIRE(xs.size() == 3);
  CHECK(xs[0].owner == "b");
  CHECK(xs[0].session.token == "t1");
  CHECK(xs[1].owner == "c");
  CHECK(xs[2].session.token == "t3");
  CHECK(st.sessions_of("u").empty());
  auto hs = st.holders("u1", "t1");
  REQUIRE(hs.size() == 2);
  hs = st.holders("u1", "t1", "b");
  REQUIRE(hs.size() == 1);
  CHECK(hs[0].owner == "c");
  CHECK(hs[0].incarnation == 9);
  CHECK(hs[0].session.connect_time == at(6));
  CHECK(st.holders("u2", "t1").empty());
}

TEST_CASE("equal views have equal digests, whatever the order",
          "[replica_state]") {
  auto changed = sess("u2", "t2");
  changed.metadata["k"] = "v";
  replica_state x;
  x.apply(snap("b", 7, 0, {}));
  x.apply(delta("b", 7, 1, {up(sess("u1", "t1")), up(sess("u2", "t2"))}));
  x.apply(delta("b", 7, 2, {up(changed)}));
  x.apply(snap("c", 9, 3, {sess("u3", "t3")}));
  replica_state y;
  y.apply(snap("c", 9, 3, {sess("u3", "t3")}));
  y.apply(snap("b", 7, 2, {changed, sess("u1", "t1")}));
  CHECK(x.digest() == y.digest());
  // The seq is not part of the view.
  replica_state z;
  z.apply(snap("c", 9, 8, {sess("u3", "t3")}));
  z.apply(snap("b", 7, 5, {changed, sess("u1", "t1")}));
  CHECK(x.digest() == z.digest());
  SECTION("different metadata") {
    auto other = changed;
    other.metadata["k"] = "w";
    y.apply(snap("b", 7, 3, {other, sess("u1", "t1")}));
    CHECK(x.digest() != y.digest());
  }
  SECTION("a different incarnation") {
    y.apply(snap("b", 8, 0, {changed, sess("u1", "t1")}));
    CHECK(x.digest() != y.digest());
  }
  SECTION("a different stamp") {
    y.apply(snap("c", 9, 4, {sess("u3", "t3", 2)}));
    CHECK(x.digest() != y.digest());
  }
  SECTION("a session at another owner") {
    y.apply(snap("c", 9, 4, {}));
    y.apply(snap("d", 9, 4, {sess("u3", "t3")}));
    CHECK(x.digest() != y.digest());
  }
  SECTION("an owner with no sessions counts") {
    y.apply(snap("d", 1, 0, {}));
    CHECK(x.digest() != y.digest());
  }
  SECTION("a different device") {
    auto other = sess("u3", "t3");
    other.device = "phone";
    y.apply(snap("c", 9, 4, {other}));
    CHECK(x.digest() != y.digest());
  }
  SECTION("last activity does not count") {
    auto later = sess("u3", "t3");
    later.last_activity = at(99);
    y.apply(snap("c", 9, 4, {later}));
    CHECK(x.digest() == y.digest());
  }
}

TEST_CASE("the newer claim on a token wins", "[replica_state]") {
  CHECK(wins(claim{at(2), 1, "t"}, claim{at(1), 9, "t"}));
  CHECK(!wins(claim{at(1), 9, "t"}, claim{at(2), 1, "t"}));
  // Equal stamps: the incarnation decides, then the token.
  CHECK(wins(claim{at(1), 5, "t"}, claim{at(1), 4, "t"}));
  CHECK(!wins(claim{at(1), 4, "t"}, claim{at(1), 5, "t"}));
  CHECK(wins(claim{at(1), 4, "u"}, claim{at(1), 4, "t"}));
  // A claim does not win against itself: the order is strict.
  CHECK(!wins(claim{at(1), 4, "t"}, claim{at(1), 4, "t"}));
  CHECK(!older(claim{at(1), 4, "t"}, claim{at(1), 4, "t"}));
}

TEST_CASE("each change carries the incarnation of the copy that changed",
          "[replica_state]") {
  replica_state st;
  for (auto& c : st.apply(snap("b", 7, 1, {sess("u1", "t1")})).changes)
    CHECK(c.incarnation == 7);
  for (auto& c : st.apply(delta("b", 7, 2, {up(sess("u2", "t2"))})).changes)
    CHECK(c.incarnation == 7);
  // A restart: the old copies leave as incarnation 7, the new ones join as 3.
  auto r = st.apply(snap("b", 3, 0, {sess("u3", "t3")}));
  REQUIRE(r.changes.size() == 3);
  for (auto& c : r.changes)
    CHECK(c.incarnation == (c.kind == left ? 7u : 3u));
  // A dropped owner's sessions leave with the incarnation they had.
  for (auto& c : st.drop_owner("b", change_reason::owner_down))
    CHECK(c.incarnation == 3);
}

} // namespace replica_state_tests

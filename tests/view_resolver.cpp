// What the registry's table must do for a change of the view
// (cluster/view_resolver.hpp): other owners' sessions in, a token held by
// several owners shown once (the winner by conflict.hpp's order), and this
// node's own copy moved out when a peer's claim beats it. The inputs are
// built with replica_state's and owner_log's own API, as the cluster actor
// feeds them.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "cluster/owner_log.hpp"
#include "cluster/replica_state.hpp"
#include "cluster/view_resolver.hpp"

#include "replication_values.hpp"

// A namespace per test file: the tests build in unity batches.
namespace view_resolver_tests {

using namespace presence;
using namespace presence::cluster;

namespace {

using test::at;
using test::chunk;
using test::delta;
using test::rm;
using test::sess;
using test::snap;
using test::up;

/// This node ("a") and its replicas of the others.
struct views {
  owner_log local{"a", 100};
  replica_state replicas;

  /// Applies `x` and resolves what it changed.
  template <class Input>
  std::vector<registry_step> feed(const Input& x,
                                  const std::string& reason = "replicated") {
    auto r = replicas.apply(x);
    REQUIRE(r.status == apply_status::applied);
    return resolve(r.changes, reason, local, replicas);
  }

  std::vector<registry_step> drop(const std::string& owner,
                                  const std::string& reason = "node_down") {
    return resolve(replicas.drop_owner(owner, change_reason::owner_down),
                   reason, local, replicas);
  }
};

/// "node:+login/token@stamp" for an upsert, "node:-login/token" for a
/// removal, "move login/token->winner" for a move out: one string per step,
/// the changes of an update joined by spaces.
std::vector<std::string> show(const std::vector<registry_step>& steps) {
  std::vector<std::string> out;
  for (auto& s : steps) {
    if (s.what == registry_step::kind::move_out) {
      out.push_back("move " + s.login_id + "/" + s.token + "->" + s.winner);
      continue;
    }
    std::string line = s.update.node + ":";
    for (auto& c : s.update.changes) {
      auto& u = c.session;
      if (line.back() != ':')
        line += " ";
      line += (c.removed ? "-" : "+") + u.login_id + "/" + u.token;
      if (!c.removed)
        line += "@"
                + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                   u.connect_time.time_since_epoch())
                                   .count());
    }
    out.push_back(std::move(line));
  }
  return out;
}

using lines = std::vector<std::string>;

} // namespace

TEST_CASE("a remote session with no conflict is shown, with the reason",
          "[cluster][view_resolver]") {
  views v;
  auto x = sess("u", "t", 5, "ios");
  x.metadata["room"] = "7";
  auto steps = v.feed(snap("b", 7, 1, {x}), "node_up");
  REQUIRE(steps.size() == 1);
  auto& step = steps[0];
  CHECK(step.what == registry_step::kind::update);
  CHECK(step.update.node == "b");
  CHECK(step.update.reason == "node_up");
  REQUIRE(step.update.changes.size() == 1);
  auto& c = step.update.changes[0];
  CHECK(!c.removed);
  CHECK(c.session.login_id == "u");
  CHECK(c.session.token == "t");
  CHECK(c.session.device == "ios");
  CHECK(c.session.connect_time == at(5));
  CHECK(c.session.last_activity == at(5));
  CHECK(c.session.metadata == x.metadata);
  CHECK(c.session.node == "b");
}

TEST_CASE("a remote update and a remote removal reach the table",
          "[cluster][view_resolver]") {
  views v;
  v.feed(snap("b", 7, 1, {sess("u", "t", 5)}));
  auto changed = sess("u", "t", 5, "ios");
  changed.last_activity = at(9);
  auto steps = v.feed(delta("b", 7, 2, {up(changed)}));
  CHECK(show(steps) == lines{"b:+u/t@5"});
  CHECK(steps[0].update.changes[0].session.device == "ios");
  CHECK(steps[0].update.changes[0].session.last_activity == at(9));
  CHECK(steps[0].update.reason == "replicated");
  steps = v.feed(delta("b", 7, 3, {rm("u", "t")}));
  CHECK(show(steps) == lines{"b:-u/t"});
  CHECK(steps[0].update.reason == "replicated");
}

TEST_CASE("a session that joins and leaves in one delta joins and then "
          "leaves the table, as on its owner",
          "[cluster][view_resolver]") {
  views v;
  v.feed(snap("b", 7, 1, {}));
  auto steps = v.feed(delta("b", 7, 2, {up(sess("u", "t", 5)), rm("u", "t")}));
  CHECK(show(steps) == lines{"b:+u/t@5 -u/t"});
  steps = v.feed(delta("b", 7, 3, {up(sess("u", "t", 6)), rm("u", "t"),
                                   up(sess("u", "t", 8))}));
  CHECK(show(steps) == lines{"b:+u/t@6 -u/t +u/t@8"});
  CHECK(v.replicas.holders("u", "t").size() == 1);
}

TEST_CASE("a remote claim that beats this node's moves ours out first",
          "[cluster][view_resolver]") {
  views v;
  v.local.upsert(sess("u", "t", 3));
  auto steps = v.feed(snap("b", 7, 1, {sess("u", "t", 4)}));
  CHECK(show(steps) == lines{"move u/t->b", "b:+u/t@4"});
}

TEST_CASE("a remote claim that beat ours leaves the table when it leaves",
          "[cluster][view_resolver]") {
  views v;
  v.local.upsert(sess("u", "t", 3));
  v.feed(snap("b", 7, 1, {sess("u", "t", 4)}));
  // b goes before the registry's removal of ours reached the log: the table
  // shows b's copy, which must leave with b.
  CHECK(show(v.drop("b")) == lines{"b:-u/t"});
  v.feed(snap("c", 8, 1, {sess("u", "t", 5)}));
  CHECK(show(v.feed(delta("c", 8, 2, {rm("u", "t")}))) == lines{"c:-u/t"});
}

TEST_CASE("a remote claim that loses to this node's changes nothing",
          "[cluster][view_resolver]") {
  views v;
  v.local.upsert(sess("u", "t", 4));
  CHECK(v.feed(snap("b", 7, 1, {sess("u", "t", 3)})).empty());
  // Nor does its update or its removal: the table shows ours.
  auto changed = sess("u", "t", 3, "ios");
  CHECK(v.feed(delta("b", 7, 2, {up(changed)})).empty());
  CHECK(v.feed(delta("b", 7, 3, {rm("u", "t")})).empty());
  CHECK(v.drop("b").empty());
}

TEST_CASE("of two remote holders only the winner is shown",
          "[cluster][view_resolver]") {
  views v;
  // b first, then c's newer claim replaces it in the table.
  CHECK(show(v.feed(snap("b", 7, 1, {sess("u", "t", 2)})))
        == lines{"b:+u/t@2"});
  CHECK(show(v.feed(snap("c", 8, 1, {sess("u", "t", 3)})))
        == lines{"c:+u/t@3"});
  // An update of the hidden one is not shown.
  CHECK(v.feed(delta("b", 7, 2, {up(sess("u", "t", 2, "ios"))})).empty());
  SECTION("the shown one leaves: the next one is shown") {
    auto steps = v.feed(delta("c", 8, 2, {rm("u", "t")}));
    CHECK(show(steps) == lines{"b:+u/t@2"});
    // The hidden copy as it is now, with its update.
    CHECK(steps[0].update.changes[0].session.device == "ios");
    CHECK(v.replicas.holders("u", "t").size() == 1);
    CHECK(show(v.feed(delta("b", 7, 3, {rm("u", "t")}))) == lines{"b:-u/t"});
  }
  SECTION("the hidden one leaves: nothing") {
    CHECK(v.feed(delta("b", 7, 3, {rm("u", "t")})).empty());
    CHECK(show(v.feed(delta("c", 8, 2, {rm("u", "t")})))
          == lines{"c:-u/t"});
  }
  SECTION("the shown one's owner is dropped: the next one is shown") {
    CHECK(show(v.drop("c")) == lines{"b:+u/t@2"});
    CHECK(v.drop("b").size() == 1);
  }
  SECTION("the hidden one's owner is dropped: nothing") {
    CHECK(v.drop("b").empty());
  }
}

TEST_CASE("a later claim that loses to the shown holder is not shown",
          "[cluster][view_resolver]") {
  views v;
  v.feed(snap("c", 8, 1, {sess("u", "t", 3)}));
  CHECK(v.feed(snap("b", 7, 1, {sess("u", "t", 2)})).empty());
  CHECK(v.feed(delta("b", 7, 2, {rm("u", "t")})).empty());
}

TEST_CASE("claims with the same stamp are ordered by incarnation, also when "
          "an owner is dropped",
          "[cluster][view_resolver]") {
  views v;
  // Same stamp: the higher incarnation (b's 9) wins and is shown.
  CHECK(show(v.feed(snap("b", 9, 1, {sess("u", "t", 2)})))
        == lines{"b:+u/t@2"});
  CHECK(v.feed(snap("c", 3, 1, {sess("u", "t", 2)})).empty());
  SECTION("the shown owner is dropped") {
    // The table showed b's copy: c's comes next, or the session would stay
    // a ghost of the dropped node.
    CHECK(show(v.drop("b")) == lines{"c:+u/t@2"});
  }
  SECTION("the shown owner restarts with no sessions") {
    // Its new incarnation (1) would lose the tie: the copy that left must
    // be judged with the incarnation it had (9).
    CHECK(show(v.feed(snap("b", 1, 0, {}), "node_up")) == lines{"c:+u/t@2"});
  }
  SECTION("the hidden owner is dropped") {
    CHECK(v.drop("c").empty());
  }
}

TEST_CASE("consecutive changes of one owner go in one update",
          "[cluster][view_resolver]") {
  views v;
  auto steps = v.feed(snap("b", 7, 1, {sess("u1", "t1"), sess("u2", "t2"),
                                       sess("u3", "t3")}),
                      "node_up");
  REQUIRE(steps.size() == 1);
  CHECK(show(steps) == lines{"b:+u1/t1@1 +u2/t2@1 +u3/t3@1"});
  v.feed(snap("c", 8, 1, {sess("u4", "t4")}));
  steps = v.feed(delta("b", 7, 2, {rm("u1", "t1"), up(sess("u5", "t5"))}));
  CHECK(show(steps) == lines{"b:-u1/t1 +u5/t5@1"});
  // Changes of two owners, interleaved: one update per run of one owner.
  auto r1 = v.replicas.apply(delta("b", 7, 3, {rm("u2", "t2")}));
  auto r2 = v.replicas.apply(delta("c", 8, 2, {rm("u4", "t4")}));
  auto r3 = v.replicas.apply(delta("b", 7, 4, {rm("u3", "t3")}));
  view_changes all;
  for (auto* r : {&r1, &r2, &r3})
    all.insert(all.end(), r->changes.begin(), r->changes.end());
  CHECK(show(resolve(all, "replicated", v.local, v.replicas))
        == lines{"b:-u2/t2", "c:-u4/t4", "b:-u3/t3"});
}

TEST_CASE("a move out starts a new update", "[cluster][view_resolver]") {
  views v;
  v.local.upsert(sess("u2", "t2", 1));
  auto steps = v.feed(snap("b", 7, 1, {sess("u1", "t1", 5), sess("u2", "t2", 5),
                                       sess("u3", "t3", 5)}));
  CHECK(show(steps)
        == lines{"b:+u1/t1@5", "move u2/t2->b", "b:+u2/t2@5 +u3/t3@5"});
}

TEST_CASE("a dropped owner's sessions leave with the reason given",
          "[cluster][view_resolver]") {
  views v;
  v.feed(snap("b", 7, 1, {sess("u1", "t1"), sess("u2", "t2")}));
  auto steps = v.drop("b", "node_left");
  CHECK(show(steps) == lines{"b:-u1/t1 -u2/t2"});
  CHECK(steps[0].update.reason == "node_left");
  CHECK(v.drop("b").empty());
}

TEST_CASE("a restarted owner's old sessions leave and its new ones join",
          "[cluster][view_resolver]") {
  views v;
  v.feed(snap("b", 7, 4, {sess("u1", "t1"), sess("u2", "t2")}));
  auto steps = v.feed(snap("b", 8, 0, {sess("u3", "t3")}), "node_up");
  CHECK(show(steps) == lines{"b:-u1/t1 -u2/t2 +u3/t3@1"});
  CHECK(steps[0].update.reason == "node_up");
  SECTION("a token that came back leaves with the old incarnation and joins "
          "with the new one, whichever incarnation the order puts first") {
    for (auto inc : {incarnation_id{2}, incarnation_id{20}}) {
      views w;
      w.feed(snap("b", 7, 4, {sess("u1", "t1", 5)}));
      steps = w.feed(snap("b", inc, 0, {sess("u1", "t1", 5)}), "node_up");
      CHECK(show(steps) == lines{"b:-u1/t1 +u1/t1@5"});
      CHECK(w.replicas.holders("u1", "t1").size() == 1);
    }
  }
}

} // namespace view_resolver_tests

// Convergence under a bad network: one owner makes random changes and
// restarts now and then; two replicas get its deltas with losses,
// duplicates and reordering and ask for a snapshot whenever they answer
// `needs_snapshot`. Throughout, each replica's copy is a state the owner
// once had, and the changes it answers rebuild the copy exactly; at the
// end both hold the owner's sessions and equal digests. Seeded, no timing.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <random>
#include <utility>

#include "cluster/owner_log.hpp"
#include "cluster/replica_state.hpp"

// A namespace per test file: the tests build in unity batches.
namespace replication_tests {

using namespace presence::cluster;

namespace {

using session_key = std::pair<std::string, std::string>;

/// One replica and the link to it.
struct peer {
  replica_state st;
  std::deque<owner_delta> queue;
  bool wants_snapshot = true;
  /// The view rebuilt from the changes the replica answered.
  std::map<session_key, replica_session> mirror;

  void take(const apply_result& r) {
    if (r.status == apply_status::needs_snapshot)
      wants_snapshot = true;
    for (auto& c : r.changes) {
      session_key key{c.session.login_id, c.session.token};
      switch (c.kind) {
        case change_kind::joined:
          REQUIRE(mirror.count(key) == 0);
          mirror.emplace(key, c.session);
          break;
        case change_kind::updated:
          REQUIRE(mirror.count(key) == 1);
          mirror[key] = c.session;
          break;
        case change_kind::left:
          REQUIRE(mirror.erase(key) == 1);
          break;
      }
    }
  }

  std::vector<replica_session> mirrored() const {
    std::vector<replica_session> out;
    for (auto& kvp : mirror)
      out.push_back(kvp.second);
    return out;
  }
};

struct world {
  std::mt19937_64 rng;
  owner_log log;
  /// The owner's digest after each of its steps: every state it had.
  std::map<std::pair<incarnation_id, seq_number>, uint64_t> history;
  peer peers[2];

  explicit world(uint64_t seed) : rng(seed), log("b", rng()) {
    record();
  }

  size_t pick(size_t n) {
    return std::uniform_int_distribution<size_t>{0, n - 1}(rng);
  }

  bool chance(int percent) {
    return pick(100) < static_cast<size_t>(percent);
  }

  void record() {
    history[{log.incarnation(), log.seq()}] = log.digest();
  }

  replica_session random_session() {
    replica_session x;
    x.login_id = "u" + std::to_string(pick(8));
    x.token = "t" + std::to_string(pick(3));
    x.device = chance(50) ? "web" : "ios";
    x.connect_time = caf::timestamp{std::chrono::seconds{pick(4)}};
    x.last_activity = x.connect_time;
    if (chance(30))
      x.metadata["k" + std::to_string(pick(2))] = std::to_string(pick(3));
    return x;
  }

  void change() {
    std::vector<session_op> ops;
    for (size_t i = 0, n = 1 + pick(3); i < n; ++i)
      ops.push_back(session_op{chance(40) ? op_kind::remove : op_kind::upsert,
                               random_session()});
    auto d = log.commit(std::move(ops));
    if (!d)
      return;
    record();
    for (auto& p : peers) {
      if (chance(5))
        continue; // lost
      p.queue.push_back(*d);
      if (chance(5))
        p.queue.push_back(*d); // duplicated
    }
  }

  void restart() {
    log = owner_log{"b", rng()};
    record();
  }

  /// Delivers one of the first few queued deltas (reordering); sometimes
  /// leaves it queued to arrive again.
  void deliver(peer& p, bool in_order) {
    if (p.queue.empty())
      return;
    auto i = in_order ? 0 : pick(std::min<size_t>(p.queue.size(), 4));
    p.take(p.st.apply(p.queue[i]));
    if (in_order || !chance(10))
      p.queue.erase(p.queue.begin() + static_cast<ptrdiff_t>(i));
  }

  void send_snapshot(peer& p) {
    p.wants_snapshot = false;
    for (auto& c : log.snapshot(60)) {
      auto r = p.st.apply(c);
      CHECK(r.status != apply_status::needs_snapshot);
      p.take(r);
    }
  }

  /// The replica's copy is a state the owner had; the changes it answered
  /// rebuild it.
  void check(peer& p) {
    auto s = p.st.status("b");
    if (!s)
      return;
    auto i = history.find({s->incarnation, s->seq});
    REQUIRE(i != history.end());
    CHECK(p.st.digest() == i->second);
    CHECK(p.mirrored() == p.st.sessions("b"));
  }
};

} // namespace

TEST_CASE("replicas of an owner converge under loss, duplicates and "
          "reordering",
          "[replica_state][convergence]") {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    INFO("seed " << seed);
    world w{seed};
    size_t snapshots = 0;
    for (int step = 0; step < 3000; ++step) {
      auto roll = w.pick(100);
      if (roll < 45) {
        w.change();
      } else if (roll < 46) {
        w.restart();
      } else {
        auto& p = w.peers[w.pick(2)];
        if (p.wants_snapshot && w.chance(30)) {
          w.send_snapshot(p);
          ++snapshots;
        } else {
          w.deliver(p, false);
        }
        w.check(p);
      }
    }
    CHECK(snapshots > 0);
    // The network heals: every queued delta arrives in order, then each
    // replica compares with the owner's announced (incarnation, seq).
    for (auto& p : w.peers) {
      while (!p.queue.empty())
        w.deliver(p, true);
      if (p.wants_snapshot
          || p.st.behind("b", w.log.incarnation(), w.log.seq()))
        w.send_snapshot(p);
      w.check(p);
      CHECK(!p.st.behind("b", w.log.incarnation(), w.log.seq()));
      CHECK(p.st.sessions("b") == w.log.sessions());
      CHECK(p.st.digest() == w.log.digest());
    }
    CHECK(w.peers[0].st.digest() == w.peers[1].st.digest());
  }
}

} // namespace replication_tests

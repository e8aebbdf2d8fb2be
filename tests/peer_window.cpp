// The per-peer window (cluster/peer_window.hpp): deltas counted until the
// window is full, then the peer is stale and gets no delta; once every byte
// in flight is acked it gets one snapshot and is up again. Acks past what
// was sent are refused. The receiving side acks the first time, when the
// applied seq moved, and at once after half a window.

#include <catch2/catch.hpp>

#include <string>

#include "cluster/owner_log.hpp"
#include "cluster/peer_window.hpp"

// A namespace per test file: the tests build in unity batches.
namespace peer_window_tests {

using namespace presence::cluster;

namespace {

/// Deltas of this size: ten fit a window of 1000 bytes.
constexpr size_t delta_bytes = 100;

/// Offers deltas 1-10, which fill `w`'s window of 1000 bytes, and, with
/// `overflow`, delta 11, which does not fit and makes the peer stale.
void fill(peer_window& w, bool overflow) {
  for (seq_number s = 1; s <= 10; ++s)
    REQUIRE(w.offer_delta(s, delta_bytes));
  if (overflow)
    REQUIRE_FALSE(w.offer_delta(11, delta_bytes));
}

} // namespace

TEST_CASE("a peer turns stale when the next delta does not fit",
          "[cluster][peer-window]") {
  peer_window w{1000};
  fill(w, false);
  CHECK(w.unacked() == 1000);
  CHECK_FALSE(w.stale());
  CHECK_FALSE(w.offer_delta(11, delta_bytes));
  CHECK(w.stale());
  CHECK(w.unacked() == 1000);
  CHECK(w.last_sent() == 10);
}

TEST_CASE("a stale peer gets no delta, even one that would fit",
          "[cluster][peer-window]") {
  peer_window w{1000};
  fill(w, true);
  // Half is acked: room for five more, but nothing is queued per change.
  REQUIRE(w.ack(5));
  CHECK(w.unacked() == 500);
  CHECK(w.stale());
  CHECK_FALSE(w.offer_delta(12, 1));
  CHECK_FALSE(w.snapshot_due());
  CHECK(w.unacked() == 500);
}

TEST_CASE("a stale peer gets a snapshot once everything in flight is acked",
          "[cluster][peer-window]") {
  peer_window w{1000};
  fill(w, true);
  REQUIRE_FALSE(w.offer_delta(12, delta_bytes));
  REQUIRE(w.ack(9));
  CHECK_FALSE(w.snapshot_due());
  REQUIRE(w.ack(10));
  CHECK(w.unacked() == 0);
  CHECK(w.snapshot_due());
  CHECK(w.stale());
  // The snapshot carries seq 12: the peer is up and deltas go again.
  w.sent_snapshot(12, 5000);
  CHECK_FALSE(w.stale());
  CHECK_FALSE(w.snapshot_due());
  CHECK(w.unacked() == 5000);
  CHECK(w.last_sent() == 12);
  CHECK(w.offer_delta(13, delta_bytes));
}

TEST_CASE("a snapshot larger than the window does not close it",
          "[cluster][peer-window]") {
  // Else a node with more sessions than the window holds would turn a peer
  // stale right after every snapshot.
  peer_window w{1000};
  w.sent_snapshot(0, 50000);
  CHECK(w.unacked() == 50000);
  CHECK(w.unacked_deltas() == 0);
  fill(w, false);
  CHECK_FALSE(w.stale());
  REQUIRE(w.ack(0));
  CHECK(w.unacked() == 1000);
  REQUIRE(w.ack(10));
  CHECK(w.unacked() == 0);
}

TEST_CASE("a delta larger than the window makes a snapshot due at once",
          "[cluster][peer-window]") {
  peer_window w{1000};
  CHECK_FALSE(w.offer_delta(1, 1001));
  CHECK(w.stale());
  CHECK(w.snapshot_due());
  w.sent_snapshot(1, 1001);
  CHECK_FALSE(w.stale());
}

TEST_CASE("a snapshot sent while stale and not drained is not sent twice",
          "[cluster][peer-window]") {
  // The peer asked for one (a resync): it carries every change held back,
  // so the drain needs none unless a change came after it.
  peer_window w{1000};
  fill(w, true);
  w.sent_snapshot(11, 300);
  CHECK(w.stale());
  REQUIRE(w.ack(11));
  CHECK_FALSE(w.stale());
  CHECK_FALSE(w.snapshot_due());
  CHECK(w.offer_delta(12, delta_bytes));

  SECTION("a change after it makes the drain send one") {
    peer_window v{1000};
    fill(v, true);
    v.sent_snapshot(11, 300);
    REQUIRE_FALSE(v.offer_delta(12, delta_bytes));
    REQUIRE(v.ack(11));
    CHECK(v.stale());
    CHECK(v.snapshot_due());
  }
}

TEST_CASE("an ack past the last seq sent is refused",
          "[cluster][peer-window]") {
  peer_window w{1000};
  CHECK(w.ack(0));
  CHECK_FALSE(w.ack(1));
  REQUIRE(w.offer_delta(1, delta_bytes));
  REQUIRE(w.offer_delta(2, delta_bytes));
  CHECK_FALSE(w.ack(3));
  CHECK(w.unacked() == 200);
  // Nothing changed: the honest ack still releases both.
  CHECK(w.ack(2));
  CHECK(w.unacked() == 0);
  // An older seq than one acked before releases nothing and is no error.
  CHECK(w.ack(1));
}

TEST_CASE("a bogus ack does not drain a stale peer", "[cluster][peer-window]") {
  peer_window w{1000};
  fill(w, true);
  // Seq 11 exists at the owner but never went to this peer.
  CHECK_FALSE(w.ack(11));
  CHECK_FALSE(w.snapshot_due());
  CHECK(w.stale());
}

TEST_CASE("the receiving side acks the first time, on a move and at half a "
          "window",
          "[cluster][peer-window]") {
  peer_window w{1000};
  CHECK(w.ack_due(0));
  w.acked(0);
  CHECK_FALSE(w.ack_due(0));
  CHECK(w.ack_due(3));
  CHECK_FALSE(w.received(499));
  CHECK(w.received(1));
  w.acked(3);
  CHECK_FALSE(w.ack_due(3));
  CHECK_FALSE(w.received(100));
}

TEST_CASE("wire sizes grow with the fields", "[cluster][peer-window]") {
  replica_session s{"user1", "tok1-web", "web", {}, {}, {{"room", "7"}}};
  owner_delta d{"node-a", 1, 1, {{op_kind::upsert, s}}};
  auto one = wire_size(d);
  CHECK(one > owner_log::encoded_size(s));
  d.ops.push_back({op_kind::upsert, s});
  CHECK(wire_size(d) == one + 1 + owner_log::encoded_size(s));
  snapshot_chunk c{"node-a", 1, 1, 0, true, {s, s}};
  CHECK(wire_size(c) > 2 * owner_log::encoded_size(s));
}

} // namespace peer_window_tests

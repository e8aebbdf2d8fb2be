#pragma once

// The per-peer window (docs/design.md, "The per-peer window"): what this
// node sent one peer that the peer has not acknowledged yet, and when this
// node acknowledges what it applied of the peer's own sessions. CAF 0.17
// has no backpressure: a peer that cannot keep up would otherwise grow this
// node's outgoing buffers without bound. A plain class; the cluster actor
// keeps one per linked peer (in membership::peer) and does the sending.
//
// Sending: each delta and snapshot is counted with its estimated encoded
// size (wire_size, no second serialization) under its seq. The peer acks
// the highest seq it applied of this node's incarnation; that releases
// everything sent up to that seq. A delta that would take the unacked delta
// bytes past the limit is not sent and the peer turns stale: no delta goes
// to it, none is queued. Once everything sent is acked (drained) it gets
// one snapshot, which carries each session once however often it changed
// meanwhile, and is up again.
//
// Snapshots are counted (unacked() shows them) but do not close the window:
// a snapshot is bounded by the session count, deltas only by the change
// rate, and a snapshot larger than the window would otherwise turn the peer
// stale right after every snapshot, for ever. So a peer holds at most one
// window of deltas plus the snapshots in flight.
//
// Receiving: the peer's deltas and chunks are counted too; an ack goes at
// once when half of this node's own limit arrived since the last one (nodes
// are expected to share the setting), else at the next tick if the applied
// seq moved.

#include <cstddef>
#include <cstdint>
#include <deque>

#include "cluster/replication.hpp"

namespace presence::cluster {

/// An estimate of the encoded size of a delta or snapshot chunk, from its
/// fields' sizes (owner_log::encoded_size for each session), plus a fixed
/// amount for the message header.
size_t wire_size(const owner_delta& x) noexcept;
size_t wire_size(const snapshot_chunk& x) noexcept;

class peer_window {
public:
  /// The default of `presence.cluster.peer-window-bytes`.
  static constexpr size_t default_limit = size_t{64} << 20;

  explicit peer_window(size_t limit = default_limit) noexcept;

  // -- what this node sends ------------------------------------------------

  /// Whether a delta of `bytes` at `seq` may go to the peer now, counted if
  /// so. Not while stale; and a delta that would take the unacked delta
  /// bytes past the limit turns the peer stale and is held back (also when
  /// nothing is in flight: then a snapshot is due at once).
  bool offer_delta(seq_number seq, size_t bytes);

  /// A snapshot at `seq`, `bytes` in all its chunks, went to the peer. It
  /// carries every change held back so far; sent while stale and drained
  /// (snapshot_due), the peer is up again.
  void sent_snapshot(seq_number seq, size_t bytes);

  /// The peer applied this node's changes through `seq`. False, and nothing
  /// changes, if `seq` is past the last seq sent to it: a bogus ack. An ack
  /// of an older seq than one before releases nothing. A stale peer that
  /// drained with nothing held back since its last snapshot is up again.
  bool ack(seq_number seq);

  /// Stale, everything sent acked, and a delta held back since the last
  /// snapshot: send the snapshot now.
  bool snapshot_due() const noexcept;

  bool stale() const noexcept {
    return stale_;
  }

  /// Bytes sent and not acked: deltas and snapshots.
  size_t unacked() const noexcept {
    return delta_bytes_ + snapshot_bytes_;
  }

  /// Delta bytes sent and not acked, what the limit applies to.
  size_t unacked_deltas() const noexcept {
    return delta_bytes_;
  }

  /// The highest seq sent to the peer (0 before anything).
  seq_number last_sent() const noexcept {
    return last_sent_;
  }

  size_t limit() const noexcept {
    return limit_;
  }

  // -- what this node receives from the peer --------------------------------

  /// `bytes` more of the peer's deltas or chunks arrived. True if an ack is
  /// due at once: half the limit arrived since the last ack.
  bool received(size_t bytes) noexcept;

  /// Whether to ack `applied` (the seq of the peer's sessions applied
  /// here): the first time, or when it differs from the last ack.
  bool ack_due(seq_number applied) const noexcept;

  /// An ack of `applied` went to the peer.
  void acked(seq_number applied) noexcept;

private:
  struct entry {
    seq_number seq;
    size_t bytes;
    bool snapshot;
  };

  void push(seq_number seq, size_t bytes, bool snapshot);

  size_t limit_;
  // Sending.
  std::deque<entry> in_flight_;
  size_t delta_bytes_ = 0;
  size_t snapshot_bytes_ = 0;
  seq_number last_sent_ = 0;
  bool stale_ = false;
  /// A delta was held back since the last snapshot sent.
  bool missed_ = false;
  // Receiving.
  size_t since_ack_ = 0;
  seq_number last_ack_ = 0;
  bool has_acked_ = false;
};

} // namespace presence::cluster

#include "cluster/peer_window.hpp"

#include "cluster/owner_log.hpp"

namespace presence::cluster {

namespace {

/// A length prefix, as owner_log::encoded_size counts one.
constexpr size_t len = 4;

/// BASP's header, the message's type ids and the atom: a rough fixed cost.
constexpr size_t header = 64;

} // namespace

size_t wire_size(const owner_delta& x) noexcept {
  auto n = header + len + x.owner.size() + 8 + 8 + len;
  for (auto& op : x.ops)
    n += 1 + owner_log::encoded_size(op.session);
  return n;
}

size_t wire_size(const snapshot_chunk& x) noexcept {
  auto n = header + len + x.owner.size() + 8 + 8 + 4 + 1 + len;
  for (auto& s : x.sessions)
    n += owner_log::encoded_size(s);
  return n;
}

peer_window::peer_window(size_t limit) noexcept : limit_(limit) {
  // nop
}

void peer_window::push(seq_number seq, size_t bytes, bool snapshot) {
  in_flight_.push_back(entry{seq, bytes, snapshot});
  (snapshot ? snapshot_bytes_ : delta_bytes_) += bytes;
  if (seq > last_sent_)
    last_sent_ = seq;
}

bool peer_window::offer_delta(seq_number seq, size_t bytes) {
  if (stale_ || delta_bytes_ + bytes > limit_) {
    stale_ = true;
    missed_ = true;
    return false;
  }
  push(seq, bytes, false);
  return true;
}

void peer_window::sent_snapshot(seq_number seq, size_t bytes) {
  if (stale_ && in_flight_.empty())
    stale_ = false;
  missed_ = false;
  push(seq, bytes, true);
}

bool peer_window::ack(seq_number seq) {
  if (seq > last_sent_)
    return false;
  while (!in_flight_.empty() && in_flight_.front().seq <= seq) {
    auto& x = in_flight_.front();
    (x.snapshot ? snapshot_bytes_ : delta_bytes_) -= x.bytes;
    in_flight_.pop_front();
  }
  if (stale_ && in_flight_.empty() && !missed_)
    stale_ = false;
  return true;
}

bool peer_window::snapshot_due() const noexcept {
  return stale_ && missed_ && in_flight_.empty();
}

bool peer_window::received(size_t bytes) noexcept {
  since_ack_ += bytes;
  return since_ack_ >= limit_ / 2;
}

bool peer_window::ack_due(seq_number applied) const noexcept {
  return !has_acked_ || applied != last_ack_;
}

void peer_window::acked(seq_number applied) noexcept {
  has_acked_ = true;
  last_ack_ = applied;
  since_ack_ = 0;
}

} // namespace presence::cluster

#include "cluster/replication.hpp"

#include <algorithm>

#include <caf/sec.hpp>

#include "cluster/varint.hpp"

namespace presence::cluster {

// The packed form of a delta's ops and a chunk's sessions: a varint count,
// then per item varint-length strings, timestamps as 8 bytes little-endian
// and varint counts. CAF 0.17 spends a call and an error object on every
// field it serializes; one string of these bytes is one field
// (docs/performance.md, "Deltas and chunks as one field").

namespace {

void put_time(std::string& out, caf::timestamp x) {
  auto v = static_cast<uint64_t>(x.time_since_epoch().count());
  char bytes[8];
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>(v >> (8 * i));
  out.append(bytes, 8);
}

/// What a session adds after its key.
void put_rest(std::string& out, const replica_session& x) {
  put_string(out, x.device);
  put_time(out, x.connect_time);
  put_time(out, x.last_activity);
  put_varint(out, x.metadata.size());
  for (auto& [k, v] : x.metadata) {
    put_string(out, k);
    put_string(out, v);
  }
}

/// Reads what the functions above wrote, from a peer: every length is
/// checked against the bytes left, so a read never allocates more than the
/// message holds.
class reader {
public:
  explicit reader(std::string_view x) : pos_(x.data()), end_(pos_ + x.size()) {
  }

  bool ok() const noexcept { return ok_; }

  bool done() const noexcept { return pos_ == end_; }

  size_t left() const noexcept { return static_cast<size_t>(end_ - pos_); }

  uint64_t varint() {
    uint64_t x = 0;
    for (int shift = 0; shift < 64 && pos_ != end_; shift += 7) {
      auto b = static_cast<uint8_t>(*pos_++);
      x |= uint64_t{b & 0x7fu} << shift;
      if (b < 0x80)
        return x;
    }
    ok_ = false;
    return 0;
  }

  uint8_t byte() {
    if (pos_ == end_) {
      ok_ = false;
      return 0;
    }
    return static_cast<uint8_t>(*pos_++);
  }

  void string(std::string& out) {
    auto n = varint();
    if (!ok_ || n > left()) {
      ok_ = false;
      return;
    }
    out.assign(pos_, static_cast<size_t>(n));
    pos_ += n;
  }

  caf::timestamp time() {
    if (left() < 8) {
      ok_ = false;
      return {};
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= uint64_t{static_cast<uint8_t>(pos_[i])} << (8 * i);
    pos_ += 8;
    return caf::timestamp{caf::timespan{static_cast<int64_t>(v)}};
  }

  void rest(replica_session& x) {
    string(x.device);
    x.connect_time = time();
    x.last_activity = time();
    auto n = varint();
    // A pair takes at least two bytes.
    if (!ok_ || n > left() / 2) {
      ok_ = false;
      return;
    }
    for (uint64_t i = 0; i < n && ok_; ++i) {
      std::string k;
      std::string v;
      string(k);
      string(v);
      x.metadata.emplace(std::move(k), std::move(v));
    }
  }

  /// The item count, within what the bytes can hold at `min_size` bytes an
  /// item.
  uint64_t count(size_t min_size) {
    auto n = varint();
    if (!ok_ || n > left() / min_size) {
      ok_ = false;
      return 0;
    }
    return n;
  }

private:
  const char* pos_;
  const char* end_;
  bool ok_ = true;
};

/// CAF drops a message whose deserialization fails, as for a malformed
/// field of its own form.
caf::error malformed(const char* what) {
  return caf::make_error(caf::sec::invalid_argument, what);
}

} // namespace

std::string pack(const std::vector<session_op>& ops) {
  std::string out;
  out.reserve(16 + ops.size() * 32);
  put_varint(out, ops.size());
  for (auto& op : ops) {
    out.push_back(static_cast<char>(op.kind));
    put_string(out, op.session.login_id);
    put_string(out, op.session.token);
    if (op.kind != op_kind::remove)
      put_rest(out, op.session);
  }
  return out;
}

caf::error unpack(std::string_view bytes, std::vector<session_op>& ops) {
  reader in{bytes};
  // A removal takes at least three bytes (kind, two lengths). One op past
  // the bound is read, so that check_delta drops (and counts) the delta.
  auto claimed = in.count(3);
  auto n = static_cast<size_t>(std::min<uint64_t>(claimed, max_ops_per_delta + 1));
  ops.clear();
  ops.reserve(n);
  for (size_t i = 0; i < n && in.ok(); ++i) {
    auto& op = ops.emplace_back();
    // A kind off the enum is kept for check_op to report; as with CAF's
    // own form, everything but a removal carries a whole session.
    op.kind = static_cast<op_kind>(in.byte());
    in.string(op.session.login_id);
    in.string(op.session.token);
    if (op.kind != op_kind::remove)
      in.rest(op.session);
  }
  if (!in.ok() || (n == claimed && !in.done()))
    return malformed("presence::cluster::owner_delta: malformed ops");
  return caf::none;
}

std::string pack(const std::vector<replica_session>& xs) {
  std::string out;
  out.reserve(16 + xs.size() * 48);
  put_varint(out, xs.size());
  for (auto& x : xs) {
    put_string(out, x.login_id);
    put_string(out, x.token);
    put_rest(out, x);
  }
  return out;
}

caf::error unpack(std::string_view bytes, std::vector<replica_session>& xs) {
  reader in{bytes};
  // A session takes at least 20 bytes (four lengths, two timestamps).
  auto claimed = in.count(20);
  auto n = static_cast<size_t>(
    std::min<uint64_t>(claimed, max_sessions_per_chunk + 1));
  xs.clear();
  xs.reserve(n);
  for (size_t i = 0; i < n && in.ok(); ++i) {
    auto& x = xs.emplace_back();
    in.string(x.login_id);
    in.string(x.token);
    in.rest(x);
  }
  if (!in.ok() || (n == claimed && !in.done()))
    return malformed("presence::cluster::snapshot_chunk: malformed sessions");
  return caf::none;
}

} // namespace presence::cluster

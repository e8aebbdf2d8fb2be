#include "cluster/session_set.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <tuple>
#include <utility>

#include "cluster/varint.hpp"

namespace presence::cluster {

namespace {

// The encoding, in order: login_id, token (the key), device, connect_time
// (8 bytes), last_activity - connect_time (zigzag), the metadata's size and
// pairs. Strings are a varint length and the bytes. It never leaves the
// process, so host byte order is fine.

/// Reads what the writer above wrote (the bytes are this process's own).
class reader {
public:
  explicit reader(std::string_view x) noexcept : pos_(x.data()) {
  }

  uint64_t varint() noexcept {
    uint64_t x = 0;
    for (int shift = 0;; shift += 7) {
      auto b = static_cast<uint8_t>(*pos_++);
      x |= uint64_t{b & 0x7fu} << shift;
      if (b < 0x80)
        return x;
    }
  }

  std::string_view string() noexcept {
    auto n = static_cast<size_t>(varint());
    std::string_view x{pos_, n};
    pos_ += n;
    return x;
  }

  int64_t fixed() noexcept {
    int64_t x;
    std::memcpy(&x, pos_, sizeof(x));
    pos_ += sizeof(x);
    return x;
  }

  const char* pos() const noexcept { return pos_; }

private:
  const char* pos_;
};

int64_t count_of(caf::timestamp x) noexcept {
  return x.time_since_epoch().count();
}

caf::timestamp timestamp_of(int64_t x) noexcept {
  return caf::timestamp{caf::timespan{x}};
}

} // namespace

// -- packed_session -----------------------------------------------------------

packed_session::packed_session(const replica_session& x) {
  auto bytes = key_of(x.login_id, x.token);
  put_string(bytes, x.device);
  auto ct = count_of(x.connect_time);
  bytes.append(reinterpret_cast<const char*>(&ct), sizeof(ct));
  auto d = static_cast<uint64_t>(count_of(x.last_activity))
           - static_cast<uint64_t>(ct);
  put_varint(bytes, (d << 1) ^ (0 - (d >> 63))); // zigzag
  put_varint(bytes, x.metadata.size());
  for (auto& [k, v] : x.metadata) {
    put_string(bytes, k);
    put_string(bytes, v);
  }
  assign(bytes);
  hash_ = hash_of(key());
}

packed_session::packed_session(const packed_session& other)
  : hash_(other.hash_) {
  assign(other.bytes());
}

packed_session::packed_session(packed_session&& other) noexcept
  : size_(other.size_), hash_(other.hash_) {
  std::memcpy(buf_, other.buf_, sizeof(buf_));
  other.size_ = 0;
}

packed_session& packed_session::operator=(const packed_session& other) {
  if (this != &other) {
    release();
    assign(other.bytes());
    hash_ = other.hash_;
  }
  return *this;
}

packed_session& packed_session::operator=(packed_session&& other) noexcept {
  if (this != &other) {
    release();
    size_ = other.size_;
    hash_ = other.hash_;
    std::memcpy(buf_, other.buf_, sizeof(buf_));
    other.size_ = 0;
  }
  return *this;
}

packed_session::~packed_session() {
  release();
}

void packed_session::assign(std::string_view bytes) {
  size_ = static_cast<uint32_t>(bytes.size());
  if (size_ <= inline_capacity) {
    std::memcpy(buf_, bytes.data(), bytes.size());
    return;
  }
  auto p = new char[bytes.size()];
  std::memcpy(p, bytes.data(), bytes.size());
  std::memcpy(buf_, &p, sizeof(p));
}

void packed_session::release() noexcept {
  if (size_ > inline_capacity) {
    char* p;
    std::memcpy(&p, buf_, sizeof(p));
    delete[] p;
  }
  size_ = 0;
}

std::string packed_session::key_of(std::string_view login_id,
                                   std::string_view token) {
  std::string out;
  key_into(out, login_id, token);
  return out;
}

void packed_session::key_into(std::string& out, std::string_view login_id,
                              std::string_view token) {
  out.clear();
  out.reserve(login_id.size() + token.size() + 4);
  put_string(out, login_id);
  put_string(out, token);
}

uint32_t packed_session::hash_of(std::string_view key) noexcept {
  auto h = static_cast<uint64_t>(std::hash<std::string_view>{}(key));
  return static_cast<uint32_t>(h ^ (h >> 32));
}

std::string_view packed_session::bytes() const noexcept {
  if (size_ <= inline_capacity)
    return {buf_, size_};
  const char* p;
  std::memcpy(&p, buf_, sizeof(p));
  return {p, size_};
}

std::string_view packed_session::key() const noexcept {
  auto x = bytes();
  if (x.empty())
    return x;
  reader in{x};
  in.string();
  in.string();
  return x.substr(0, static_cast<size_t>(in.pos() - x.data()));
}

std::pair<std::string_view, std::string_view>
packed_session::identity() const noexcept {
  auto x = bytes();
  if (x.empty())
    return {x, x};
  reader in{x};
  in.string();
  in.string();
  in.string();
  in.fixed();
  auto head = x.substr(0, static_cast<size_t>(in.pos() - x.data()));
  in.varint();
  return {head, x.substr(static_cast<size_t>(in.pos() - x.data()))};
}

std::string_view packed_session::login_id() const noexcept {
  auto x = bytes();
  if (x.empty())
    return x;
  reader in{x};
  return in.string();
}

caf::timestamp packed_session::connect_time() const noexcept {
  auto x = bytes();
  if (x.empty())
    return {};
  reader in{x};
  in.string();
  in.string();
  in.string();
  return timestamp_of(in.fixed());
}

replica_session packed_session::decode() const {
  replica_session out;
  auto x = bytes();
  if (x.empty())
    return out;
  reader in{x};
  out.login_id = std::string{in.string()};
  out.token = std::string{in.string()};
  out.device = std::string{in.string()};
  auto ct = in.fixed();
  out.connect_time = timestamp_of(ct);
  auto z = in.varint();
  auto d = (z >> 1) ^ (0 - (z & 1));
  out.last_activity = timestamp_of(
    static_cast<int64_t>(static_cast<uint64_t>(ct) + d));
  auto n = in.varint();
  for (uint64_t i = 0; i < n; ++i) {
    auto k = in.string();
    auto v = in.string();
    out.metadata.emplace(std::string{k}, std::string{v});
  }
  return out;
}

// -- session_set --------------------------------------------------------------

size_t session_set::slot_of(uint32_t hash, uint32_t pos) const {
  auto mask = slots_.size() - 1;
  for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    if (slots_[slot] == 0)
      return npos;
    if (slots_[slot] == pos + 1)
      return slot;
  }
}

uint32_t session_set::find_pos(std::string_view key, uint32_t hash) const {
  if (slots_.empty())
    return npos;
  auto mask = slots_.size() - 1;
  for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    auto v = slots_[slot];
    if (v == 0)
      return npos;
    auto& x = records_[v - 1];
    if (x.hash() == hash && x.key() == key)
      return v - 1;
  }
}

const packed_session* session_set::find(std::string_view key) const {
  // A node with no sessions of its own is asked for each replicated change.
  if (records_.empty())
    return nullptr;
  auto pos = find_pos(key, packed_session::hash_of(key));
  return pos == npos ? nullptr : &records_[pos];
}

void session_set::grow() {
  slots_.assign(slots_.empty() ? 16 : slots_.size() * 2, 0);
  auto mask = slots_.size() - 1;
  for (uint32_t pos = 0; pos < records_.size(); ++pos) {
    auto slot = records_[pos].hash() & mask;
    while (slots_[slot] != 0)
      slot = (slot + 1) & mask;
    slots_[slot] = pos + 1;
  }
}

session_set::put_result session_set::put(packed_session x,
                                         packed_session* old) {
  auto hash = x.hash();
  if (auto pos = find_pos(x.key(), hash); pos != npos) {
    auto& y = records_[pos];
    if (y.bytes() == x.bytes())
      return put_result::same;
    if (old != nullptr)
      *old = std::move(y);
    y = std::move(x);
    return put_result::changed;
  }
  // At most half full, so probes stay short.
  if ((records_.size() + 1) * 2 > slots_.size())
    grow();
  auto mask = slots_.size() - 1;
  auto slot = hash & mask;
  while (slots_[slot] != 0)
    slot = (slot + 1) & mask;
  records_.push_back(std::move(x));
  slots_[slot] = static_cast<uint32_t>(records_.size());
  return put_result::added;
}

void session_set::prefetch_slot(uint32_t hash) const noexcept {
  if (!slots_.empty())
    __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]);
}

void session_set::prefetch_records(uint32_t hash,
                                   size_t erases_before) const noexcept {
  if (slots_.empty())
    return;
  auto mask = slots_.size() - 1;
  auto slot = hash & mask;
  auto record = [this](uint32_t v) {
    if (v == 0)
      return;
    auto p = reinterpret_cast<const char*>(&records_[v - 1]);
    __builtin_prefetch(p);
    __builtin_prefetch(p + sizeof(packed_session) - 1);
  };
  record(slots_[slot]);
  record(slots_[(slot + 1) & mask]);
  if (erases_before < records_.size()) {
    auto& last = records_[records_.size() - 1 - erases_before];
    __builtin_prefetch(&slots_[last.hash() & mask]);
  }
}

bool session_set::erase(std::string_view key, packed_session* old) {
  return erase(key, packed_session::hash_of(key), old);
}

bool session_set::erase(std::string_view key, uint32_t hash,
                        packed_session* old) {
  auto pos = find_pos(key, hash);
  if (pos == npos)
    return false;
  // Backward-shift deletion of the slot: no tombstones.
  auto mask = slots_.size() - 1;
  auto hole = slot_of(hash, pos);
  for (auto next = (hole + 1) & mask; slots_[next] != 0;
       next = (next + 1) & mask) {
    auto home = records_[slots_[next] - 1].hash() & mask;
    bool stays = hole <= next ? (hole < home && home <= next)
                              : (hole < home || home <= next);
    if (!stays) {
      slots_[hole] = slots_[next];
      hole = next;
    }
  }
  slots_[hole] = 0;
  if (old != nullptr)
    *old = std::move(records_[pos]);
  // The last record fills the gap.
  auto last = static_cast<uint32_t>(records_.size() - 1);
  if (pos != last) {
    slots_[slot_of(records_[last].hash(), last)] = pos + 1;
    records_[pos] = std::move(records_[last]);
  }
  records_.pop_back();
  if (records_.empty())
    clear();
  return true;
}

std::vector<replica_session> session_set::sorted() const {
  std::vector<replica_session> out;
  out.reserve(records_.size());
  for (auto& x : records_)
    out.push_back(x.decode());
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return std::tie(x.login_id, x.token) < std::tie(y.login_id, y.token);
  });
  return out;
}

} // namespace presence::cluster

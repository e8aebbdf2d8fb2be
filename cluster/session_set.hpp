#pragma once

// One owner's replicated sessions in little memory (docs/performance.md,
// "The cluster", C9): each session is encoded in one 48-byte record (a
// typical session fits inline; a larger one keeps its bytes on the heap),
// kept in a dense vector, and found through an open-addressing index of
// 4-byte positions. A std::map of full replica_session values cost 273 B
// per session; this costs about 60 B.
//
// The encoding starts with the key (login_id, token), so a record's key is
// a prefix of its bytes, and two sessions are equal exactly when their
// bytes are. Records stay in insertion order until one is erased (the last
// one moves into its place).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/replication.hpp"
#include "memory/huge_pages.hpp"

namespace presence::cluster {

/// A replica_session encoded in one small block.
class packed_session {
public:
  /// Bytes kept inside the record; longer encodings go to the heap.
  static constexpr size_t inline_capacity = 40;

  packed_session() noexcept = default;
  explicit packed_session(const replica_session& x);
  packed_session(const packed_session& other);
  packed_session(packed_session&& other) noexcept;
  packed_session& operator=(const packed_session& other);
  packed_session& operator=(packed_session&& other) noexcept;
  ~packed_session();

  /// The encoded key of (login_id, token): what key() answers for a session
  /// with them.
  static std::string key_of(std::string_view login_id, std::string_view token);

  /// key_of into `out`, reusing its memory (a hot loop's buffer).
  static void key_into(std::string& out, std::string_view login_id,
                       std::string_view token);

  /// The hash a session_set files `key` under.
  static uint32_t hash_of(std::string_view key) noexcept;

  std::string_view bytes() const noexcept;

  std::string_view key() const noexcept;

  /// The bytes that say what the session is: all but `last_activity`,
  /// which replicas show as of the last replicated change. The digest's
  /// session term hashes them (view_digest.hpp).
  std::pair<std::string_view, std::string_view> identity() const noexcept;

  uint32_t hash() const noexcept { return hash_; }

  replica_session decode() const;

  std::string_view login_id() const noexcept;

  caf::timestamp connect_time() const noexcept;

private:
  void assign(std::string_view bytes);
  void release() noexcept;

  uint32_t size_ = 0;
  uint32_t hash_ = 0;
  /// The bytes if size_ <= inline_capacity, else a pointer to them.
  char buf_[inline_capacity];
};

class session_set {
public:
  size_t size() const noexcept { return records_.size(); }

  bool empty() const noexcept { return records_.empty(); }

  /// The record with the encoded `key` (packed_session::key_of), or nullptr.
  const packed_session* find(std::string_view key) const;

  enum class put_result : uint8_t { added, changed, same };

  /// Adds `x`, or replaces the record with its key; `old` receives the
  /// replaced record when the answer is `changed`.
  put_result put(packed_session x, packed_session* old = nullptr);

  /// Removes the record with `key`; answers whether there was one. `old`
  /// receives the removed record.
  bool erase(std::string_view key, packed_session* old = nullptr);

  /// erase with the key's hash known (packed_session::hash_of(key)).
  bool erase(std::string_view key, uint32_t hash, packed_session* old);

  /// A batch on a large set waits on memory (prefetched_ops.hpp): stage 0
  /// of a lookup prefetches the key's home slot.
  void prefetch_slot(uint32_t hash) const noexcept;

  /// Stage 1, once the slot is in cache: the records of the home slot and
  /// the next (an erase's backward shift reads it), and the slot of the
  /// record an erase moves into the gap, `erases_before` erases from now.
  void prefetch_records(uint32_t hash, size_t erases_before) const noexcept;

  /// The sessions decoded, ordered by (login_id, token).
  std::vector<replica_session> sorted() const;

  /// Calls `f(const packed_session&)` for each record.
  template <class F>
  void for_each(F f) const {
    for (auto& x : records_)
      f(x);
  }

  void clear() noexcept {
    records_.clear();
    slots_.clear();
  }

private:
  static constexpr uint32_t npos = UINT32_MAX;

  /// The slot holding `pos`, or npos.
  size_t slot_of(uint32_t hash, uint32_t pos) const;

  /// The position of the record with `key`, or npos.
  uint32_t find_pos(std::string_view key, uint32_t hash) const;

  void grow();

  // Arrays of 128 KiB and more are mapped apart from malloc: one freed by
  // growth would raise malloc's dynamic mmap threshold, and after that its
  // per-thread arenas keep up to twice as much free memory resident
  // (memory/huge_pages.hpp, docs/performance.md, C9).
  template <class T>
  using array = std::vector<T, detail::huge_page_allocator<T>>;

  array<packed_session> records_;
  /// Positions + 1 (0 is empty); size zero or a power of two, at most half
  /// full. A record's home slot is its hash masked. Slots of 8 bytes with
  /// the hash beside the position were tried: no faster
  /// (docs/performance.md, "Cheaper replicated removals").
  array<uint32_t> slots_;
};

} // namespace presence::cluster

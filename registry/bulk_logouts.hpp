#pragma once

// mark_offline_users: every session of many users in one call. The registry
// takes the list in chunks and sends itself a message between two chunks,
// so the calls already in its mailbox run before the next chunk: a mass
// logout shares the registry's thread with the traffic queued behind it
// instead of holding it for the whole list, and runs at full speed when
// nothing else waits (docs/design.md, "Mass logout in one call"). Each user
// is a mark_offline_all of its own (it waits behind a login in flight on
// that user and, in a cluster, goes to the user's other owners too); their
// answers merge into the caller's one answer (forwarded_writes).
//
// Calls on one user still take effect in the order they were made: a later
// call on a listed user that the list has not reached yet takes that user's
// logout out of the list and has it done first (take). So each list keeps an
// index of its users by login hash. Plain class: the registry does each
// logout and sends the message.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "presence/detail/protocol.hpp"
#include "presence/validation.hpp"

namespace presence::detail {

class bulk_logouts {
public:
  /// Users a chunk takes at least before the mailbox gets its turn; the
  /// registry gives a chunk more while other calls keep it busy (half as
  /// many as it ran since the last chunk), so that under load the list gets
  /// about a third of the registry's calls and still ends in a few times
  /// the time it takes alone (docs/performance.md, "Mass logout").
  static constexpr size_t chunk_size = 1024;

  /// Queues a list, each user once; returns how many distinct users it has
  /// (the parts of its answer). Call set_merge_id next.
  uint32_t add(std::vector<std::string>&& login_ids, origin source);

  /// The forwarded write that merges the answers of the list added last.
  void set_merge_id(uint64_t id) noexcept {
    lists_.back().merge_id = id;
  }

  /// Fills `out` with the next chunk of the oldest list, at most `max_users`
  /// mark_offline_all operations with their login hashes, and sets
  /// `merge_id` to its write. True if more is queued after it (resume again
  /// later).
  bool next_chunk(std::vector<client_op>& out, uint64_t& merge_id,
                  size_t max_users = chunk_size);

  /// A call on user `login_id` (login hash `hash`) is about to run: calls
  /// `f(op, merge_id)` with the logout of that user from every list that
  /// has not reached it yet, oldest first, and takes it out of them.
  template <class F>
  void take(size_t hash, const std::string& login_id, F&& f) {
    for (auto& x : lists_) {
      auto pos = x.find(hash, login_id);
      if (pos != list::npos) {
        client_op op;
        x.emit(pos, op);
        f(std::move(op), x.merge_id);
      }
    }
  }

  /// Lists not finished yet.
  bool empty() const noexcept {
    return lists_.empty();
  }

private:
  struct list {
    static constexpr size_t npos = SIZE_MAX;

    std::vector<std::string> login_ids;
    std::vector<size_t> hashes;
    /// A Bloom filter of the hashes (two bits each, about 16 bits a user):
    /// every call while the list runs asks it first, and a miss costs no
    /// cache miss in the index (an index probe on each push cost the
    /// registry half its time in a mass logout).
    std::vector<uint64_t> filter;
    int filter_log2 = 0;
    /// Open addressing over positions + 1 (0: empty), a power of two at
    /// least twice the list's length. Entries stay when taken.
    std::vector<uint32_t> slots;
    std::vector<bool> taken;
    size_t next = 0;
    size_t left = 0;
    origin source = origin::foreign_batch;
    uint64_t merge_id = 0;

    /// The filter's two bits of `hash`.
    std::pair<size_t, size_t> bits_of(size_t hash) const noexcept {
      auto mask = (size_t{1} << filter_log2) - 1;
      return {hash & mask,
              static_cast<size_t>((hash * 0x9E3779B97F4A7C15ull)
                                  >> (64 - filter_log2))};
    }

    bool may_hold(size_t hash) const noexcept {
      auto [a, b] = bits_of(hash);
      return (filter[a >> 6] >> (a & 63) & 1) != 0
             && (filter[b >> 6] >> (b & 63) & 1) != 0;
    }

    /// The position of `login_id` if the list has not taken it yet.
    size_t find(size_t hash, const std::string& login_id) const;

    /// Takes position `pos` as a mark_offline_all into `op`.
    void emit(size_t pos, client_op& op);
  };

  std::deque<list> lists_;
};

} // namespace presence::detail

#pragma once

// The registry's table of online users: who is online, on which sessions, and
// which actor owns them. Entries live in one dense vector (a broadcast walks
// memory linearly) and an open-addressing index of 32-bit slots finds them by
// login id (about 8 bytes per user instead of a node-based map's ~50).
//
// Only the registry writes the table. The facade reads it through a
// `presence_view` under a shared lock, so queries need no message at all.

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "memory/huge_pages.hpp"
#include "memory/pooled_allocator.hpp"
#include "registry/node_names.hpp"
#include "registry/owner.hpp"
#include "registry/session_list.hpp"
#include "registry/tagged_slots.hpp"
#include "presence/detail/internal_interfaces.hpp"
#include "presence/detail/protocol.hpp"
#include "presence/online_user.hpp"
#include "presence/stats.hpp"

namespace presence::detail {

/// The calls on a user whose actor is still applying an earlier change;
/// replayed when the actor has answered, so per-user order holds.
struct parked_queue;

/// A session as the table keeps it: an online_user without the login id (the
/// entry has it) and with its metadata behind a pointer (most sessions have
/// none, and an empty std::map costs 48 bytes).
struct session_record {
  std::string token;
  std::string device;
  caf::timestamp connect_time;
  caf::timestamp last_activity;
  std::unique_ptr<metadata_map> metadata;
  /// The node the session logged in through: only it changes the session.
  owner_id owner = local_owner;

  static session_record from(online_user&& x);

  /// The session as the public API shows it; `node` names its owner.
  online_user to_online_user(const std::string& login_id,
                             const std::string& node = {}) const;
};

struct user_entry {
  std::string login_id;
  size_t hash = 0;
  user_actor actor;
  /// Pooled: almost always one session (pooled_allocator.hpp says why).
  session_list<session_record, pooled_allocator<session_record>> sessions;

  /// The sessions as the public API shows them, each naming its owner.
  std::vector<online_user> online_users(const node_names& nodes) const;
  /// Commands sent to the actor that it has not answered yet.
  uint32_t pending = 0;
  /// An idle check for this user is in the registry's wheel or with its
  /// actor: at most one chain of checks per user.
  bool check_armed = false;
  std::unique_ptr<parked_queue> parked;
};

class user_table {
public:
  user_table();
  ~user_table();

  user_entry* find(const std::string& login_id);
  const user_entry* find(const std::string& login_id) const;
  /// With `hash` = hash(login_id), computed earlier.
  user_entry* find(const std::string& login_id, size_t hash);

  /// Precondition: `login_id` is not in the table, `hash` = hash(login_id).
  /// May move other entries.
  user_entry& insert(std::string login_id, size_t hash, user_actor actor,
                     session_record first);

  /// Removes `entry`; moves the last entry into its place.
  void erase(user_entry& entry);

  /// Users with at least one session. An entry can be empty for a moment:
  /// its actor expired the last session while a call on it is still in
  /// flight (see session_changes::on_expired). Empty entries are offline.
  size_t user_count() const noexcept {
    return entries_.size() - empty_entries_;
  }

  size_t session_count() const noexcept { return sessions_; }

  /// The login ids of the users with at least one session.
  std::vector<std::string> online_ids() const;

  /// The entry if the user is online, else nullptr.
  const user_entry* find_online(const std::string& login_id) const {
    auto e = find(login_id);
    return e != nullptr && !e->sessions.empty() ? e : nullptr;
  }

  /// Call after changing `entry`'s session list, which had `before` sessions.
  void sessions_changed(const user_entry& entry, size_t before) noexcept {
    auto after = entry.sessions.size();
    sessions_ = sessions_ + after - before;
    if (before > 0 && after == 0)
      ++empty_entries_;
    else if (before == 0 && after > 0)
      --empty_entries_;
  }

  /// The hash find() uses for `login_id`.
  static size_t hash(const std::string& login_id) noexcept;

  /// The hash of a call's login id: the caller's, or computed now and kept
  /// with the call (a prefetched or parked call is looked up again).
  static size_t hash_of(client_op& op) noexcept {
    if (op.login_hash == 0)
      op.login_hash = hash(op.user.login_id);
    return op.login_hash;
  }

  /// Starts loading the index slot a lookup of `hash` reads first.
  void prefetch_slot(size_t hash) const noexcept {
    __builtin_prefetch(&index_[slot_of_hash(hash)]);
  }

  /// Starts loading the entry in `hash`'s home slot (call some lookups
  /// after prefetch_slot, when the slot is in cache).
  ///
  /// A batch of lookups on a large table is bound by memory latency: one
  /// miss for the slot, one for the entry, one for its sessions, each
  /// depending on the last. Prefetching each stage a few operations ahead
  /// overlaps them (docs/performance.md).
  void prefetch_entry(size_t hash) const noexcept {
    if (auto e = home_entry(hash)) {
      __builtin_prefetch(e);
      __builtin_prefetch(reinterpret_cast<const char*>(e) + 64);
    }
  }

  /// Starts loading the first session of the entry in `hash`'s home slot
  /// (call some lookups after prefetch_entry).
  void prefetch_sessions(size_t hash) const noexcept {
    if (auto e = home_entry(hash); e != nullptr && !e->sessions.empty()) {
      auto s = e->sessions.data();
      __builtin_prefetch(s);
      __builtin_prefetch(reinterpret_cast<const char*>(s) + 64);
    }
  }

  /// Starts loading what erasing the user in `hash`'s home slot reads
  /// besides its own entry: the hash of each entry in the occupied slots
  /// after it, up to 4 (the backward shift looks up each one's home). Those
  /// loads dominated erase in a mass logout (docs/performance.md, "Mass
  /// logout"). Call with prefetch_entry.
  void prefetch_erase(size_t hash) const noexcept {
    auto mask = index_.size() - 1;
    auto slot = slot_of_hash(hash);
    for (int i = 0; i < 4; ++i) {
      slot = (slot + 1) & mask;
      auto v = index_[slot];
      if (v == 0)
        return;
      auto addr = &entries_[tagged_slot::pos_of(v)].hash;
      __builtin_prefetch(addr);
      // GCC deletes a loop whose only effect is prefetches (it did here at
      // -O3): an empty asm that uses the address keeps it.
      asm volatile("" : : "r"(addr));
    }
  }

  using entry_vector = std::vector<user_entry, huge_page_allocator<user_entry>>;

  entry_vector& entries() noexcept { return entries_; }
  const entry_vector& entries() const noexcept { return entries_; }

private:
  size_t slot_of_hash(size_t hash) const noexcept {
    return hash & (index_.size() - 1);
  }
  size_t find_slot(const std::string& login_id, size_t hash) const;

  /// The entry a lookup of `hash` most likely ends at: the first slot of
  /// its probe sequence with a matching tag (slots are read from cache, the
  /// entry not yet).
  const user_entry* home_entry(size_t hash) const noexcept {
    auto mask = index_.size() - 1;
    for (auto slot = slot_of_hash(hash);; slot = (slot + 1) & mask) {
      auto v = index_[slot];
      if (v == 0)
        return nullptr;
      if (tagged_slot::tag_of(v) == tagged_slot::tag_of_hash(hash))
        return &entries_[tagged_slot::pos_of(v)];
    }
  }

  // Index slots are tagged (tagged_slots.hpp): probing past other users'
  // entries was the registry's largest cost at scale (random cache misses;
  // docs/performance.md has the figures and the memory it costs).
  void grow();

  entry_vector entries_;
  /// Tagged slots (tagged_slots.hpp). Size is a power of two.
  std::vector<uint64_t, huge_page_allocator<uint64_t>> index_;
  size_t sessions_ = 0;
  size_t empty_entries_ = 0;
};

/// What the stats report counts. Written by the registry only; facades read
/// them without a message.
struct view_counters {
  std::atomic<uint64_t> pushes{0};
  std::atomic<uint64_t> deliveries{0};
  std::atomic<uint64_t> buffered{0};
  std::atomic<uint64_t> buffer_size{0};
  std::atomic<uint64_t> drops{0};
  std::atomic<uint64_t> expiries{0};
  std::atomic<uint64_t> kicks{0};
  std::atomic<uint64_t> replaced{0};
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> rejected{0};
  /// Calls parked behind a busy user (not in presence_stats: it shows the
  /// parking's cost in tests and benchmarks).
  std::atomic<uint64_t> parks{0};
  /// Replicated changes the registry dropped: invalid fields, or a remote
  /// claim on a token this node owns (the cluster actor moves the local
  /// session out first). Not in presence_stats yet.
  std::atomic<uint64_t> replica_drops{0};
  /// Nodes up in the view, this one included (registry_core keeps it).
  std::atomic<uint64_t> nodes{1};
};

/// The table plus the lock that lets facade threads read it.
struct presence_view {
  mutable std::shared_mutex mtx;
  user_table table;
  /// The names of the sessions' owners (written under `mtx`).
  node_names nodes;
  /// User actors whose last session is gone, waiting to be handed to the
  /// retirement thread (registry thread only; see registry_callee::retire).
  std::vector<user_actor> retiring;
  view_counters counters;
  /// The peers and the view digest the cluster actor last reported
  /// (written under `mtx`).
  std::vector<peer_stats> peers;
  uint64_t view_digest = 0;
  /// The facade client that spawned this registry along with this view
  /// (0: none yet). Its batches are trusted as validated (docs/design.md,
  /// "Validation"); set before its first batch is sent.
  std::atomic<caf::actor_id> own_client{0};

  /// Counters plus current users and sessions. Call under `mtx` (shared).
  /// Once other nodes' sessions are in the table, the local counts cost a
  /// walk over it (stats are for metrics, read seldom; a count kept on
  /// every write would tax the hottest writes for them).
  presence_stats stats() const;

  /// Takes every user actor handle, in the table and waiting for retirement
  /// (the registry is going away).
  std::vector<user_actor> take_actors();
};

/// Adds to a counter that has a single writer (no read-modify-write needed).
inline void bump(std::atomic<uint64_t>& x, uint64_t n = 1) noexcept {
  x.store(x.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

} // namespace presence::detail

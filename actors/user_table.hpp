#pragma once

// The registry's table of online users: who is online, on which sessions, and
// which actor owns them. Entries live in one dense vector (a broadcast walks
// memory linearly) and an open-addressing index of 32-bit slots finds them by
// login id (about 8 bytes per user instead of a node-based map's ~50).
//
// Only the registry writes the table. The facade reads it through a
// `presence_view` under a shared lock, so queries need no message at all.

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "presence/actor_interfaces.hpp"
#include "presence/detail/protocol.hpp"
#include "presence/online_user.hpp"

namespace presence::detail {

/// A call on a user whose actor is still applying an earlier change; replayed
/// when the actor has answered, so per-user order holds.
struct parked_op;

/// A session as the table keeps it: an online_user without the login id (the
/// entry has it) and with its metadata behind a pointer (most sessions have
/// none, and an empty std::map costs 48 bytes). 88 bytes instead of 160.
struct session_record {
  std::string token;
  std::string device;
  caf::timestamp connect_time;
  caf::timestamp last_activity;
  std::unique_ptr<metadata_map> metadata;

  static session_record from(online_user&& x);

  online_user to_online_user(const std::string& login_id) const;
};

struct user_entry {
  std::string login_id;
  size_t hash = 0;
  user_actor actor;
  std::vector<session_record> sessions;

  /// The sessions as the public API shows them.
  std::vector<online_user> online_users() const;
  /// Commands sent to the actor that it has not answered yet.
  uint32_t pending = 0;
  std::unique_ptr<std::vector<parked_op>> parked;
};

class user_table {
public:
  user_table();
  ~user_table();

  user_entry* find(const std::string& login_id);
  const user_entry* find(const std::string& login_id) const;

  /// Precondition: `login_id` is not in the table. May move other entries.
  user_entry& insert(std::string login_id, user_actor actor,
                     session_record first);

  /// Removes `entry`; moves the last entry into its place.
  void erase(user_entry& entry);

  size_t user_count() const noexcept { return entries_.size(); }

  size_t session_count() const noexcept { return sessions_; }

  /// Call after changing an entry's session list by `delta` sessions.
  void sessions_changed(int64_t delta) noexcept {
    sessions_ = static_cast<size_t>(static_cast<int64_t>(sessions_) + delta);
  }

  std::vector<user_entry>& entries() noexcept { return entries_; }
  const std::vector<user_entry>& entries() const noexcept { return entries_; }

private:
  size_t slot_of_hash(size_t hash) const noexcept {
    return hash & (index_.size() - 1);
  }
  size_t find_slot(const std::string& login_id, size_t hash) const;
  void grow();

  std::vector<user_entry> entries_;
  /// 0 = empty, otherwise entry index + 1. Size is a power of two.
  std::vector<uint32_t> index_;
  size_t sessions_ = 0;
};

/// The table plus the lock that lets facade threads read it.
struct presence_view {
  mutable std::shared_mutex mtx;
  user_table table;
  /// User actors whose last session is gone, waiting to be told to exit
  /// (registry thread only; see registry_state::retire_user).
  std::vector<user_actor> retiring;
};

} // namespace presence::detail

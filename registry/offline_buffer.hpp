#pragma once

// Messages kept for offline users (push with `keep_if_offline`). An offline
// user has no actor, so the registry holds the buffer. Bounded three ways: K
// messages per user (the oldest goes), a time to live, and a byte budget for
// all users together (the globally oldest goes). Every message that leaves
// without being delivered is counted as a drop.

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/timespan.hpp>

#include "presence/push_message.hpp"

namespace presence::detail {

class offline_buffer {
public:
  using time_point = caf::actor_clock::time_point;

  offline_buffer(size_t per_user, caf::timespan ttl, size_t max_bytes);

  struct put_result {
    bool kept = false;
    /// Messages dropped to make room (or this one, if not kept).
    uint64_t dropped = 0;
  };

  put_result put(const std::string& login_id, const push_message& msg,
                 time_point now);

  /// Removes and returns the user's messages in the order they were pushed;
  /// expired ones are dropped.
  std::vector<push_message> take(const std::string& login_id, time_point now);

  /// True if `login_id` has messages (expired or not).
  bool has(const std::string& login_id) const {
    return !users_.empty() && users_.count(login_id) > 0;
  }

  /// The login ids with messages.
  std::vector<std::string> users() const {
    std::vector<std::string> result;
    result.reserve(users_.size());
    for (auto& kvp : users_)
      result.push_back(kvp.first);
    return result;
  }

  /// Drops every expired message.
  void sweep(time_point now);

  bool empty() const noexcept { return size_ == 0; }
  size_t size() const noexcept { return size_; }
  /// Messages dropped since construction.
  uint64_t drops() const noexcept { return drops_; }
  /// When the oldest message expires; only meaningful if not empty.
  time_point next_expiry() const;

private:
  struct entry {
    push_message msg;
    time_point expires;
    size_t bytes;
    uint64_t seq;
  };

  // Insertion order over all users. With one TTL for every message this is
  // also expiry order, so the sweep and the byte budget only look at the
  // front. Entries whose message was delivered or evicted stay until they
  // reach the front (compacted when they outnumber the live ones).
  struct ref {
    std::string login_id;
    uint64_t seq;
    time_point expires;
  };

  /// Drops the globally oldest live message, if any. False if none is left.
  bool drop_oldest();
  /// Pops the front of the global order and drops its message if it is still
  /// buffered; false for a stale reference.
  bool pop_order_front();
  void drop_front_of(std::deque<entry>& q, const std::string& login_id);
  void compact();

  size_t per_user_;
  caf::timespan ttl_;
  size_t max_bytes_;
  std::unordered_map<std::string, std::deque<entry>> users_;
  std::deque<ref> order_;
  size_t size_ = 0;
  size_t bytes_ = 0;
  uint64_t drops_ = 0;
  uint64_t next_seq_ = 1;
};

} // namespace presence::detail

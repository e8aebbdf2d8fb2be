#pragma once

// A pusher that keeps pushed messages in memory per login id, for tests and
// demos. At most `cap_per_user` messages are kept per user; older ones are
// dropped and counted.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "presence/actor_interfaces.hpp"
#include "presence/push_message.hpp"

namespace presence {

class in_memory_pusher {
public:
  static constexpr size_t default_cap_per_user = 1000;

  explicit in_memory_pusher(caf::actor_system& sys,
                            size_t cap_per_user = default_cap_per_user);

  ~in_memory_pusher();

  in_memory_pusher(const in_memory_pusher&) = delete;
  in_memory_pusher& operator=(const in_memory_pusher&) = delete;

  /// The pusher actor, to pass to `register_pusher` or `subscribe`.
  const in_memory_pusher_actor& handle() const noexcept { return handle_; }

  operator pusher_actor() const;

  /// The messages kept for `login_id`, oldest first.
  caf::expected<std::vector<push_message>>
  get_messages(const std::string& login_id) const;

  /// Forgets the messages kept for `login_id`; returns how many there were.
  caf::expected<uint64_t> clear_messages(const std::string& login_id) const;

  /// Messages dropped because a user's cap was reached.
  caf::expected<uint64_t> dropped() const;

private:
  caf::actor_system& sys_;
  in_memory_pusher_actor handle_;
};

/// Spawns the in-memory pusher's actor directly, for actor code.
in_memory_pusher_actor spawn_in_memory_pusher(caf::actor_system& sys,
                                              size_t cap_per_user);

} // namespace presence

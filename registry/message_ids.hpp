#pragma once

// Message ids for pushes: unique per registry, short enough to live in
// std::string's inline buffer (no allocation for the id nor for its copies
// into the report and the batch).

#include <cstdint>
#include <string>

#include "presence/push_message.hpp"

namespace presence::detail {

class message_ids {
public:
  /// Digits of ids and of their prefix (base64url).
  static constexpr char digits[]
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  /// `prefix`: the registry's own 8 characters (make_prefix).
  explicit message_ids(std::string prefix = std::string(8, 'A'))
    : prefix_(std::move(prefix)) {
  }

  /// 8 base64url characters mixed from `node` (host and process), the
  /// registry's actor id, a random value and the time: a restarted process
  /// often gets the same node id (same host, same PID in a container). Two
  /// registries collide with probability 2^-48 per pair.
  static std::string make_prefix(const std::string& node, uint64_t actor_id);

  /// The prefix, then the counter in base64url, most significant digit
  /// first: at most 15 characters for the first 2^42 ids.
  std::string next();

  /// Gives `msg` an id and a timestamp unless the caller set them.
  void stamp(push_message& msg);

  const std::string& prefix() const noexcept {
    return prefix_;
  }

private:
  std::string prefix_;
  uint64_t next_ = 1;
};

} // namespace presence::detail

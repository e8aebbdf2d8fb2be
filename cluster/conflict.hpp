#pragma once

// Which of two claims on one session token wins. The owner stamps
// `connect_time` when a session arrives; a token that two owners hold (a
// login raced a move between nodes) goes to the newer claim, and the older
// owner drops its copy (event kind `moved`). Every node orders the claims
// the same way, so each owner decides alone and all end with one holder.

#include <cstdint>
#include <string_view>
#include <tuple>

#include <caf/timestamp.hpp>

namespace presence::cluster {

/// Random per start of a node: a restarted node is a new writer even if
/// CAF gives it its old node id back.
using incarnation_id = uint64_t;

struct claim {
  caf::timestamp stamp;
  incarnation_id incarnation = 0;
  std::string_view token;
};

/// A total order on claims: by stamp, then incarnation, then token. The
/// incarnation breaks ties between owners whose clocks gave the same stamp;
/// the token makes it total for claims on different tokens (a login
/// policy ranks a user's sessions across owners with it).
inline bool older(const claim& x, const claim& y) noexcept {
  return std::tie(x.stamp, x.incarnation, x.token)
         < std::tie(y.stamp, y.incarnation, y.token);
}

/// True if `x` wins against `y`: the newer claim keeps the token.
inline bool wins(const claim& x, const claim& y) noexcept {
  return older(y, x);
}

} // namespace presence::cluster

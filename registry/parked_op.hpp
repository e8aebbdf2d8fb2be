#pragma once

// A call parked on a user entry (see user_table.hpp) with where its answer
// goes.

#include <deque>

#include "registry/reply_target.hpp"
#include "presence/detail/protocol.hpp"

namespace presence::detail {

struct parked_op {
  client_op op;
  reply_target target;
};

/// The calls parked on one user, oldest first.
struct parked_queue : std::deque<parked_op> {};

} // namespace presence::detail

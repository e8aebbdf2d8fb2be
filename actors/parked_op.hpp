#pragma once

// A call parked on a user entry (see user_table.hpp) with where its answer
// goes.

#include "actors/reply_target.hpp"
#include "presence/detail/protocol.hpp"

namespace presence::detail {

struct parked_op {
  client_op op;
  reply_target target;
};

} // namespace presence::detail

#pragma once

// Who speaks for a session: the node it logged in through. Only the owner
// changes a session; other nodes keep a replica (docs/design.md, "Who owns
// a session").

#include <cstdint>

namespace presence::detail {

/// This node is always `local_owner`; a cluster numbers its peers from 1.
using owner_id = uint32_t;

constexpr owner_id local_owner = 0;

} // namespace presence::detail

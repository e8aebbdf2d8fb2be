#pragma once

// An order-independent 64-bit hash of a view of the cluster's sessions: two
// nodes with the same view compute the same value, whatever order the
// changes came in. A view's digest is the sum of one term per owner and one
// per session, so a node adds its own sessions' terms to its replicas'
// digest and the total is comparable across nodes. `last_activity` is left
// out: replicas show it as of the last replicated change.

#include <cstdint>
#include <string>

#include "cluster/replication.hpp"

namespace presence::cluster {

/// The term for an owner known with `incarnation` (even with no sessions).
uint64_t owner_digest(const std::string& owner, incarnation_id incarnation);

/// The term for one session of an owner.
uint64_t session_digest(const std::string& owner, incarnation_id incarnation,
                        const replica_session& x);

} // namespace presence::cluster

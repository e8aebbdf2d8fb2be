#pragma once

// An order-independent 64-bit hash of a view of the cluster's sessions: two
// nodes with the same view compute the same value, whatever order the
// changes came in. A view's digest is the sum of one term per owner and one
// per session, so a node adds its own sessions' terms to its replicas'
// digest and the total is comparable across nodes. `last_activity` is left
// out: replicas show it as of the last replicated change.

#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/replication.hpp"
#include "cluster/session_set.hpp"

namespace presence::cluster {

/// The term for an owner known with `incarnation` (even with no sessions).
uint64_t owner_digest(const std::string& owner, incarnation_id incarnation);

/// The term for one session of an owner: a hash of its packed bytes but
/// `last_activity` (packed_session::identity). The packed form holds
/// `connect_time` in host byte order, so digests compare across nodes of
/// one byte order (every platform presence builds on is little-endian).
uint64_t session_digest(const std::string& owner, incarnation_id incarnation,
                        const packed_session& x);

/// Files `x` in `set`, which holds sessions of `owner` (`incarnation`),
/// keeping `terms` the sum of the set's session terms.
session_set::put_result put_counted(session_set& set, uint64_t& terms,
                                    const std::string& owner,
                                    incarnation_id incarnation,
                                    const replica_session& x);

/// Removes the session with the encoded `key` from `set` the same way;
/// answers whether there was one, and moves it to `old` if given.
/// `hash` is packed_session::hash_of(key).
bool erase_counted(session_set& set, uint64_t& terms, const std::string& owner,
                   incarnation_id incarnation, std::string_view key,
                   uint32_t hash, packed_session* old = nullptr);

} // namespace presence::cluster

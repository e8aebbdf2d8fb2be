#pragma once

// Checks a replication message received from a peer, field by field, before
// anything applies it. A peer is never trusted: its sessions get the same
// checks as a caller's on a single node (presence/validation.hpp, with the
// node's limits), and the message the bounds of the cluster protocol. A
// message that fails is dropped and counted by the cluster actor; the error
// says which field broke which rule.

#include <string>

#include <caf/error.hpp>

#include "cluster/replication.hpp"
#include "presence/validation.hpp"

namespace presence::cluster {

/// An owner node name: non-empty (`malformed_message`), at most
/// `max_id_size` bytes (`field_too_long`) of valid UTF-8 (`invalid_utf8`).
caf::error check_owner(const std::string& owner, const limits& lim);

/// A session to upsert: the session key, device and metadata as for
/// mark_online.
caf::error check_session(const replica_session& x, const limits& lim);

/// An op: a kind on the enum (`malformed_message`); an upsert's session as
/// in check_session; a removal's session key, and its other fields (unused)
/// within the same bounds if set.
caf::error check_op(const session_op& x, const limits& lim);

/// A delta: its owner, a seq of at least 1 (seq 0 is the state before the
/// first change), one to max_ops_per_delta ops, each as in check_op.
caf::error check_delta(const owner_delta& x, const limits& lim);

/// A snapshot chunk: its owner, at most max_sessions_per_chunk sessions,
/// each as in check_session, and at least one unless it is the last (an
/// owner sends an empty chunk only for a snapshot with no sessions).
caf::error check_chunk(const snapshot_chunk& x, const limits& lim);

} // namespace presence::cluster

#pragma once

// What an owner sends about its own sessions: ordered deltas and chunked
// snapshots (docs/design.md, "Cluster replication (the state module)").
// Plain values; the cluster actor serializes them later.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/timestamp.hpp>

#include "cluster/conflict.hpp"
#include "presence/online_user.hpp"

namespace presence::cluster {

/// Counts the owner's changes within one incarnation; a snapshot carries
/// the seq of the last change it includes.
using seq_number = uint64_t;

/// A session as its owner replicates it. Within one owner a session is
/// identified by (login_id, token).
struct replica_session {
  std::string login_id;
  std::string token;
  std::string device;
  caf::timestamp connect_time;
  caf::timestamp last_activity;
  metadata_map metadata;
};

bool operator==(const replica_session& x, const replica_session& y);

inline bool operator!=(const replica_session& x, const replica_session& y) {
  return !(x == y);
}

enum class op_kind : uint8_t {
  /// Adds the session or replaces the copy with the same (login_id, token).
  upsert,
  /// Removes the session with (login_id, token); the other fields are unused.
  remove,
};

struct session_op {
  op_kind kind = op_kind::upsert;
  replica_session session;
};

/// One step of an owner's history: seq is the previous step's seq plus one.
/// The ops apply together, in order.
struct owner_delta {
  std::string owner;
  incarnation_id incarnation = 0;
  seq_number seq = 0;
  std::vector<session_op> ops;
};

/// One piece of a snapshot of the owner's sessions as of `seq`. Chunks of
/// one snapshot share (incarnation, seq) and are numbered from 0; the one
/// with `last` set completes it.
struct snapshot_chunk {
  std::string owner;
  incarnation_id incarnation = 0;
  seq_number seq = 0;
  uint32_t index = 0;
  bool last = false;
  std::vector<replica_session> sessions;
};

} // namespace presence::cluster

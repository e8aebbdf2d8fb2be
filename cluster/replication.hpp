#pragma once

// What an owner sends about its own sessions: ordered deltas and chunked
// snapshots (docs/design.md, "Cluster replication (the state module)").
// Plain values with an `inspect` each, so CAF serializes them between nodes
// (cluster/type_ids.hpp names them); a receiver checks every field with
// cluster/wire_check.hpp before it applies anything.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timestamp.hpp>

#include "cluster/conflict.hpp"
#include "presence/online_user.hpp"

namespace presence::cluster {

/// Counts the owner's changes within one incarnation; a snapshot carries
/// the seq of the last change it includes.
using seq_number = uint64_t;

/// At most this many ops in one delta; a receiver drops a larger one as
/// malformed. A bound on what one message can make a peer allocate and
/// apply at once; an owner splits a larger change into several deltas.
constexpr size_t max_ops_per_delta = 4096;

/// At most this many sessions in one snapshot chunk, whatever the byte
/// budget; owner_log cuts chunks within it and a receiver drops a larger one
/// as malformed.
constexpr size_t max_sessions_per_chunk = 4096;

/// What an owner puts in one delta or snapshot chunk, well within the
/// limits above: a receiver reads a message's ops into one vector, and one
/// of malloc's mmap threshold or more, once freed, raises that threshold
/// for the receiver's whole process
/// (memory/huge_pages.hpp, malloc_mmap_threshold; docs/performance.md, C9).
constexpr size_t ops_per_sent_delta = 512;
constexpr size_t sessions_per_sent_chunk = 512;

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

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replica_session& x) {
  return f(caf::meta::type_name("presence::cluster::replica_session"),
           x.login_id, x.token, x.device, x.connect_time, x.last_activity,
           x.metadata);
}

enum class op_kind : uint8_t {
  /// Adds the session or replaces the copy with the same (login_id, token).
  upsert,
  /// Removes the session with (login_id, token); the other fields are unused
  /// and not sent.
  remove,
};

/// The kinds a peer may send; a received value past the last is malformed.
constexpr uint8_t op_kind_count = 2;

std::string to_string(op_kind x);

struct session_op {
  op_kind kind = op_kind::upsert;
  replica_session session;
};

bool operator==(const session_op& x, const session_op& y);

// A removal crosses the wire as its kind and key only: the whole session
// took about twice the bytes and the CPU to serialize and deserialize
// (docs/performance.md, "Removals as their key"). The kind comes first, so a
// reader knows which form follows; a reader's other fields stay empty.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_op& x) {
  auto name = caf::meta::type_name("presence::cluster::session_op");
  if constexpr (std::is_same<typename Inspector::result_type, void>::value) {
    f(name, x.kind, x.session);
  } else {
    if (auto err = f(name, x.kind))
      return err;
    if (x.kind == op_kind::remove)
      return f(x.session.login_id, x.session.token);
    return f(x.session);
  }
}

/// One step of an owner's history: seq is the previous step's seq plus one.
/// The ops apply together, in order.
struct owner_delta {
  std::string owner;
  incarnation_id incarnation = 0;
  seq_number seq = 0;
  std::vector<session_op> ops;
};

bool operator==(const owner_delta& x, const owner_delta& y);

/// A delta's ops, a chunk's sessions in presence's packed form
/// (cluster/wire_codec.cpp); unpack reads a peer's bytes, so it checks every
/// length, and fails on bytes that are not that form.
std::string pack(const std::vector<session_op>& ops);
caf::error unpack(std::string_view bytes, std::vector<session_op>& ops);
std::string pack(const std::vector<replica_session>& xs);
caf::error unpack(std::string_view bytes, std::vector<replica_session>& xs);

/// Serializes `xs` as one string of packed bytes (protocol version 4):
/// CAF 0.17 took a call and an error object per field at both ends, six
/// times the CPU of the packed form (docs/performance.md, "Deltas and
/// chunks as one field"). A printing inspector sees the items.
template <class Inspector, class List, class... Ts>
typename Inspector::result_type inspect_packed(Inspector& f, List& xs,
                                               Ts&... fields) {
  if constexpr (std::is_same<typename Inspector::result_type, void>::value) {
    f(fields..., xs);
  } else if constexpr (Inspector::reads_state) {
    auto bytes = pack(xs);
    return f(fields..., bytes);
  } else {
    std::string bytes;
    if (auto err = f(fields..., bytes))
      return err;
    return unpack(bytes, xs);
  }
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, owner_delta& x) {
  auto name = caf::meta::type_name("presence::cluster::owner_delta");
  return inspect_packed(f, x.ops, name, x.owner, x.incarnation, x.seq);
}

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

bool operator==(const snapshot_chunk& x, const snapshot_chunk& y);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_chunk& x) {
  auto name = caf::meta::type_name("presence::cluster::snapshot_chunk");
  return inspect_packed(f, x.sessions, name, x.owner, x.incarnation, x.seq,
                        x.index, x.last);
}

} // namespace presence::cluster

#pragma once

// The local owner's outbound side of replication: numbers each change of
// this node's own sessions, turns it into a delta, and cuts a snapshot of
// them into chunks for a peer that (re)connects or fell behind. The peer's
// replica_state takes them. No actors, no I/O. The sessions are packed like
// a replica's (session_set.hpp): a std::map of whole copies cost far more
// memory per local session (docs/performance.md, "owner_log packed").

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/replication.hpp"
#include "cluster/prefetched_ops.hpp"
#include "cluster/session_set.hpp"

namespace presence::cluster {

class owner_log {
public:
  owner_log(std::string owner, incarnation_id incarnation);

  /// Applies `ops` to the local sessions as one step. Ops that change
  /// nothing (an identical upsert, the removal of an unknown session) are
  /// left out; if none is left, no seq is used and the answer is empty.
  std::optional<owner_delta> commit(std::vector<session_op> ops);

  std::optional<owner_delta> upsert(replica_session x);

  std::optional<owner_delta> remove(const std::string& login_id,
                                    const std::string& token);

  /// The sessions as of seq(), in chunks whose estimated encoded size stays
  /// within `max_chunk_bytes` (a chunk holds at least one session) and
  /// that hold at most sessions_per_sent_chunk sessions. Always
  /// at least one chunk, so a peer learns of an owner with no sessions.
  std::vector<snapshot_chunk> snapshot(size_t max_chunk_bytes) const;

  /// An estimate of a session's encoded size, for the chunk budget.
  static size_t encoded_size(const replica_session& x) noexcept;

  const std::string& owner() const noexcept { return owner_; }

  incarnation_id incarnation() const noexcept { return incarnation_; }

  /// The seq of the last change; 0 before the first.
  seq_number seq() const noexcept { return seq_; }

  size_t session_count() const noexcept { return sessions_.size(); }

  /// The local session (login_id, token), if there is one.
  std::optional<replica_session> find(const std::string& login_id,
                                      const std::string& token) const;

  /// The connect_time of the local session with the encoded `key`
  /// (packed_session::key_of), if there is one: what a claim on its token
  /// needs, without decoding the session.
  std::optional<caf::timestamp> connect_time_of_key(std::string_view key) const;

  /// The local sessions, ordered by (login_id, token).
  std::vector<replica_session> sessions() const;

  /// This owner's terms of the view digest (view_digest.hpp), kept as a
  /// running sum: the cluster actor reports it every tick.
  uint64_t digest() const;

private:
  std::string owner_;
  incarnation_id incarnation_;
  seq_number seq_ = 0;
  session_set sessions_;
  /// The sum of the sessions' digest terms.
  uint64_t session_terms_ = 0;
  prefetched_ops prefetch_;
};

} // namespace presence::cluster

#pragma once

// The replicas of other owners' sessions on one node, keyed by owner node
// name. A pure state machine in the shape of Phoenix.Tracker's state module:
// the cluster actor feeds it what peers send, and applies the changes it
// answers to the registry's table and the event stream. No actors, no I/O.
//
// Each owner is a single writer. A replica takes an owner's delta only if it
// is the next seq of the incarnation it holds, and otherwise a whole
// snapshot, so its copy is always a state the owner once had
// (docs/design.md, "Cluster replication (the state module)").
//
// Incarnations are random, so they cannot be ordered: the replica keeps the
// incarnation of the latest complete snapshot. A delta of any other
// incarnation answers `needs_snapshot`; a snapshot of another incarnation
// replaces the copy. The cluster actor drops messages of an incarnation
// other than the one its peer joined with, so an old incarnation's snapshot
// does not arrive here after the new one's.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/replication.hpp"
#include "cluster/prefetched_ops.hpp"
#include "cluster/session_set.hpp"
#include "memory/huge_pages.hpp"

namespace presence::cluster {

enum class change_kind : uint8_t { joined, left, updated };

/// Why the view changed; the caller names the reason of a dropped owner.
enum class change_reason : uint8_t {
  /// The owner's delta.
  delta,
  /// A snapshot of the same incarnation differed from the copy.
  snapshot,
  /// A snapshot of a new incarnation replaced the old one's sessions.
  new_incarnation,
  /// The owner's node went down or became unreachable.
  owner_down,
  /// The owner's node left the cluster gracefully.
  owner_left,
};

/// One change of the view. For `left`, `session` is the last copy; for
/// `updated`, the new one.
struct view_change {
  change_kind kind = change_kind::joined;
  change_reason reason = change_reason::delta;
  std::string owner;
  replica_session session;
  /// The incarnation of the copy that changed. For a session that left
  /// with its owner (dropped, or replaced by a new incarnation) status()
  /// no longer tells it, and the conflict order needs it to break ties.
  incarnation_id incarnation = 0;
};

/// A snapshot's or a dropped owner's changes are one per session: mapped
/// apart from malloc when large (session_set.hpp says why).
using view_changes =
  std::vector<view_change, detail::huge_page_allocator<view_change>>;

enum class apply_status : uint8_t {
  /// The input changed the owner's state (possibly not its sessions).
  applied,
  /// A snapshot chunk was kept; the snapshot is not complete yet.
  pending,
  /// A duplicate or an older state than the copy: nothing to do.
  ignored,
  /// A gap, an unknown owner or incarnation, or a broken snapshot: nothing
  /// changed, and the owner should send a snapshot.
  needs_snapshot,
};

struct apply_result {
  apply_status status = apply_status::ignored;
  view_changes changes;
};

/// A session with the owner that holds it.
struct owned_session {
  std::string owner;
  incarnation_id incarnation = 0;
  replica_session session;
};

struct owner_status {
  incarnation_id incarnation = 0;
  seq_number seq = 0;
  size_t sessions = 0;
};

class replica_state {
public:
  /// Applies `x` if it is the next seq of the incarnation held for its
  /// owner. An older seq of that incarnation is ignored (a duplicate); a
  /// later one, another incarnation or an owner with no copy yet answers
  /// `needs_snapshot`. Taken by value: the changes take the upserted
  /// sessions over instead of copying them.
  apply_result apply(owner_delta x);

  /// Collects the chunks of a snapshot; the last one replaces the owner's
  /// copy at once. Chunk 0 starts a snapshot and drops any unfinished one
  /// of that owner. Any other chunk must follow the previous one of the same
  /// (incarnation, seq), else the unfinished snapshot is dropped and the
  /// answer is `needs_snapshot`. A complete snapshot of the incarnation
  /// held but older than the copy's seq is ignored (deltas got further).
  apply_result apply(const snapshot_chunk& x);

  /// Forgets the owner: every session of it leaves, for `why`.
  view_changes drop_owner(const std::string& owner, change_reason why);

  /// True if the owner announced (incarnation, seq) and the copy is not at
  /// that state: the last deltas were lost, ask for a snapshot.
  bool behind(const std::string& owner, incarnation_id incarnation,
              seq_number seq) const;

  /// The sessions of `login_id` at every owner, by owner name and token.
  /// Walks every session (for tests and diagnostics).
  std::vector<owned_session> sessions_of(const std::string& login_id) const;

  /// Every owner other than `except` holding (login_id, token), for the
  /// conflict rule (conflict.hpp).
  std::vector<owned_session> holders(const std::string& login_id,
                                     const std::string& token,
                                     const std::string& except = {}) const;

  /// holders by the encoded key (packed_session::key_of), for a caller that
  /// has it already.
  std::vector<owned_session> holders_of_key(std::string_view key,
                                            const std::string& except = {})
    const;

  std::optional<owner_status> status(const std::string& owner) const;

  /// The owners with a copy, by name.
  std::vector<std::string> owners() const;

  /// The sessions of `owner`, ordered by (login_id, token).
  std::vector<replica_session> sessions(const std::string& owner) const;

  size_t session_count() const noexcept { return sessions_; }

  /// The view's digest (view_digest.hpp); add the local owner's terms to
  /// compare with other nodes. Kept as a running sum per owner.
  uint64_t digest() const;

private:
  /// Sessions packed (session_set.hpp) with the sum of their digest terms.
  struct owner_copy {
    incarnation_id incarnation = 0;
    seq_number seq = 0;
    session_set sessions;
    uint64_t digest = 0;
  };

  /// An unfinished snapshot.
  struct assembly {
    incarnation_id incarnation = 0;
    seq_number seq = 0;
    uint32_t next_index = 0;
    session_set sessions;
    uint64_t digest = 0;
  };

  apply_result finish(const std::string& owner, assembly&& snap);

  std::map<std::string, owner_copy> owners_;
  prefetched_ops prefetch_;
  std::map<std::string, assembly> assembling_;
  size_t sessions_ = 0;
};

} // namespace presence::cluster

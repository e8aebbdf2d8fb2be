#pragma once

// Pushes this node routed to their owners, waiting for the owners' partial
// reports (docs/design.md, "Pushes across nodes"). A routed push and its
// answer are one-way messages that carry a ticket from this table, not a CAF
// request: a request with a timeout hands CAF's clock thread two events
// (set and cancel) and sits in CAF 0.17's list of open responses, searched
// linearly on every answer (docs/performance.md, "C4: where the time goes").
// Here each push costs one map entry, answers are matched by ticket and the
// peer that was asked, and the cluster actor's tick fails what missed its
// deadline. A plain class; the cluster actor does the sending.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace presence::cluster {

class routed_pushes {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  /// One routed push: to `node`, for the registry's `ticket`.
  struct entry {
    std::string node;
    uint64_t ticket = 0;
    time_point deadline;
  };

  /// Keeps a push to `node` for the registry's `ticket`, failed unless it
  /// is answered by `deadline`; returns the ticket for the owner (never 0).
  /// The cluster actor gives every push the same timeout, so deadlines come
  /// in the order of adding; one earlier than its predecessor's is not
  /// failed before that one's.
  uint64_t add(std::string node, uint64_t ticket, time_point deadline);

  /// The answer to `id` came from `node`: its entry, taken out. False for an
  /// unknown id, one already failed, or one routed to another node (a peer
  /// cannot answer for another).
  bool take(const std::string& node, uint64_t id, entry& out);

  /// Takes out every push routed to `node` (it was lost), oldest first.
  std::vector<entry> take_all(const std::string& node);

  /// Takes out every push whose deadline is at or before `now`, oldest
  /// first.
  std::vector<entry> take_expired(time_point now);

  /// Pushes waiting for their answer.
  size_t size() const noexcept {
    return open_.size();
  }

  /// Pushes waiting for an answer from `node`.
  size_t open(const std::string& node) const;

private:
  uint64_t next_id_ = 1;
  /// By id: the order of sending, and of the deadlines.
  std::map<uint64_t, entry> open_;
};

} // namespace presence::cluster

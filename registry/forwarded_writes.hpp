#pragma once

// Writes that other nodes apply for this one (docs/design.md, "The registry
// and the cluster actor"). A write on a session another node owns goes to
// that owner through the cluster actor; a write on a whole login (logout of
// every session, a kick of every session or of a device type) is applied
// here to this node's sessions and sent to every other owner of the user's
// sessions. Each part answers on its own; the caller gets one answer once
// every part has. Plain class: the registry sends the forwards, and
// client_replies hands each part's answer here.
//
// Merge rules (one user per merged write):
// - A part that failed is left out; the caller gets the first error only if
//   no part succeeded.
// - change_result: removed sessions summed, the sessions left the fewest any
//   part saw (the part that answered with the others' removals already
//   applied), the status recomputed from those two.
// - delivery_report: counts of sessions, buffered and dropped summed; users
//   reached and targeted counted once (the largest of the parts'); the
//   user is not_online only if no part targeted it; failed pushers joined;
//   the first non-empty message id.

#include <cstdint>
#include <string>
#include <unordered_map>

#include <caf/error.hpp>

#include "presence/results.hpp"
#include "registry/reply_target.hpp"

namespace presence::detail {

class forwarded_writes {
public:
  /// What the caller waits for.
  enum class answer_kind : uint8_t { change, report };

  /// One part's outcome.
  struct part {
    caf::error err;
    change_result change;
    delivery_report report;
  };

  /// The merged outcome of a write whose parts have all answered.
  struct merged {
    reply_target target;
    answer_kind kind = answer_kind::change;
    caf::error err;
    change_result change;
    delivery_report report;
  };

  /// Opens a write of `parts` parts (at least 1) answering `target`;
  /// returns its id (never 0).
  uint64_t open(reply_target&& target, answer_kind kind, uint32_t parts);

  /// Adds one part's outcome. Returns true and fills `out` when that was the
  /// last part (the write is closed then). An unknown id (a closed write, a
  /// stray answer) changes nothing.
  bool add(uint64_t id, part&& x, merged& out);

  /// A reply target that routes a part's answer here (client_replies).
  static reply_target part_target(uint64_t id) {
    return reply_target{reply_target::merge_client, id, {}};
  }

  /// Writes waiting for parts.
  size_t size() const noexcept {
    return open_.size();
  }

  /// Calls `f(target)` for every write still waiting.
  template <class F>
  void for_each_target(F f) {
    for (auto& kv : open_)
      f(kv.second.out.target);
  }

private:
  struct state {
    uint32_t waiting = 0;
    uint32_t succeeded = 0;
    merged out;
  };

  static void merge(state& st, part&& x);

  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, state> open_;
};

} // namespace presence::detail

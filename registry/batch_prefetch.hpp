#pragma once

// Prefetching a client batch's users. A batch of lookups on a large table is
// bound by memory latency (docs/performance.md): each call's user is
// prefetched in three stages, each `distance` calls ahead of the last: index
// slot, entry, first session.

#include <algorithm>
#include <vector>

#include "presence/detail/protocol.hpp"
#include "registry/user_table.hpp"

namespace presence::detail {

class batch_prefetch {
public:
  static constexpr size_t distance = 6;

  /// What the stages need of an item of another kind of batch (another
  /// owner's changes): its user's hash (0 for none) and whether it may erase
  /// the user.
  struct item {
    size_t hash = 0;
    bool erases = false;
  };

  explicit batch_prefetch(const user_table& table) : table_(table) {
  }

  /// Before handling call `i`: stage 2 for i + d, 1 for i + 2d, 0 for i + 3d
  /// (`i` = 0 also starts the calls before those). The client path keeps a
  /// loop of its own beside the generic one below: going through it was not
  /// shown to be as fast on the single-node rows (docs/performance.md,
  /// "Prefetched replication").
  void ahead(std::vector<client_op>& ops, size_t i) const {
    constexpr auto d = distance;
    if (i == 0) {
      for (size_t j = 0; j < std::min(ops.size(), 3 * d); ++j)
        stage(ops[j], 0);
      for (size_t j = 0; j < std::min(ops.size(), 2 * d); ++j)
        stage(ops[j], 1);
      for (size_t j = 0; j < std::min(ops.size(), d); ++j)
        stage(ops[j], 2);
    }
    if (i + 3 * d < ops.size())
      stage(ops[i + 3 * d], 0);
    if (i + 2 * d < ops.size())
      stage(ops[i + 2 * d], 1);
    if (i + d < ops.size())
      stage(ops[i + d], 2);
  }

  /// The same over `n` items of another kind; `at(j)` answers item j.
  template <class At>
  void ahead(size_t n, size_t i, At at) const {
    constexpr auto d = distance;
    if (i == 0) {
      for (size_t j = 0; j < std::min(n, 3 * d); ++j)
        stage(at(j), 0);
      for (size_t j = 0; j < std::min(n, 2 * d); ++j)
        stage(at(j), 1);
      for (size_t j = 0; j < std::min(n, d); ++j)
        stage(at(j), 2);
    }
    if (i + 3 * d < n)
      stage(at(i + 3 * d), 0);
    if (i + 2 * d < n)
      stage(at(i + 2 * d), 1);
    if (i + d < n)
      stage(at(i + d), 2);
  }

private:
  void stage(item x, int n) const {
    if (x.hash == 0)
      return;
    if (n == 0) {
      table_.prefetch_slot(x.hash);
    } else if (n == 1) {
      table_.prefetch_entry(x.hash);
      if (x.erases)
        table_.prefetch_erase(x.hash);
    } else {
      table_.prefetch_sessions(x.hash);
    }
  }

  void stage(client_op& op, int n) const {
    if (op.user.login_id.empty())
      return;
    if (n == 0) {
      table_.prefetch_slot(user_table::hash_of(op));
    } else if (n == 1) {
      table_.prefetch_entry(op.login_hash);
      // A logout that takes the last session erases the user.
      if (op.kind == op_kind::mark_offline_all
          || op.kind == op_kind::mark_offline)
        table_.prefetch_erase(op.login_hash);
    } else {
      table_.prefetch_sessions(op.login_hash);
    }
  }

  const user_table& table_;
};

} // namespace presence::detail

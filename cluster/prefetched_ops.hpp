#pragma once

// A batch of ops applied to a large session_set waits on memory: each
// lookup misses the cache on its slot, its record and, for an erase, the
// slot of the record that fills the gap (docs/performance.md, "Prefetched
// replication"). So the keys are hashed first, and each op's slot is
// prefetched two distances ahead, its records one distance ahead, as the
// registry does for a client batch (registry/batch_prefetch.hpp).

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/replication.hpp"
#include "cluster/session_set.hpp"

namespace presence::cluster {

class prefetched_ops {
public:
  static constexpr size_t distance = 8;

  /// Calls `f(i, key, hash)` for each op of `ops` in order, where `key` is
  /// the op's encoded key and `hash` its packed_session::hash_of.
  template <class F>
  void run(const session_set& set, const std::vector<session_op>& ops, F f) {
    auto n = ops.size();
    if (keys_.size() < n)
      keys_.resize(n);
    hashes_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      auto& x = ops[i].session;
      packed_session::key_into(keys_[i], x.login_id, x.token);
      hashes_[i] = packed_session::hash_of(keys_[i]);
    }
    constexpr auto d = distance;
    for (size_t i = 0; i < std::min(n, 2 * d); ++i)
      set.prefetch_slot(hashes_[i]);
    for (size_t i = 0; i < std::min(n, d); ++i)
      set.prefetch_records(hashes_[i], i);
    for (size_t i = 0; i < n; ++i) {
      if (i + 2 * d < n)
        set.prefetch_slot(hashes_[i + 2 * d]);
      if (i + d < n)
        set.prefetch_records(hashes_[i + d], d);
      f(i, std::string_view{keys_[i]}, hashes_[i]);
    }
  }

private:
  // Kept from batch to batch, so the keys' buffers are reused: as many as
  // the largest batch had ops (a delta has at most max_ops_per_delta).
  std::vector<std::string> keys_;
  std::vector<uint32_t> hashes_;
};

} // namespace presence::cluster

#pragma once

// Memory figures the benchmark can trust across runs in one process.

#include <algorithm>
#include <cstddef>

#include <malloc.h>

// Internal: the library's block pools, for honest memory figures.
#include "memory/block_pool.hpp"
#include "bench/machine.hpp"

namespace bench {

/// Hands memory that earlier runs freed back to the kernel, so that resident
/// memory growth measures the run at hand, not reuse of a warm heap (without
/// it, a second actor system in the process appeared to need a quarter of
/// the memory of the first).
inline void release_free_memory() {
  malloc_trim(0);
}

/// Resident memory plus what the library's block pools hold. The pools keep
/// the blocks of departed users for later ones and never return them
/// (docs/design.md, "Where per-user memory comes from"), so after an earlier
/// run in the same process, resident growth alone would count a user whose
/// actor and sessions reused blocks as ~1.3 KB lighter. `grown_since` counts
/// every block taken at its size and the pools' own resident memory not at
/// all (the part of a fresh chunk no block was cut from yet included).
struct memory_snapshot {
  size_t rss = rss_bytes();
  presence::detail::block_pool::totals pools
    = presence::detail::block_pool::all_pools();

  /// Bytes this process needs more than at `before`.
  double grown_since(const memory_snapshot& before) const {
    auto d = [](size_t now, size_t then) {
      return static_cast<double>(now) - static_cast<double>(then);
    };
    auto outside_pools = d(rss, before.rss)
                         - d(pools.resident, before.pools.resident);
    return std::max(0.0, outside_pools
                           + d(pools.in_use, before.pools.in_use));
  }
};

} // namespace bench

#pragma once

#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

namespace presence::detail {

/// Fixed-size blocks carved from large, huge-page-advised chunks of anonymous
/// memory; freed blocks go on a free list and are reused, newest first.
///
/// Why: a million user actors are a million ~1.1 KB objects allocated on the
/// registry's thread. From malloc they cost a 4 KiB page fault every three
/// or four users and, because that thread's arena is not the main one, an
/// `mprotect` per page as the arena grows (docs/performance.md, W1). From
/// 2 MiB chunks advised with `MADV_HUGEPAGE` they fault once per chunk where
/// the kernel grants huge pages (the Debian default `madvise` mode does for
/// advised memory), and once per 4 KiB page with no `mprotect` where it
/// does not.
///
/// The price: memory freed by departed users stays with the pool for new
/// users and is not returned to the system (glibc rarely returns a non-main
/// arena's memory either). Thread-safe: blocks are freed on whichever thread
/// drops an actor's last reference. Under AddressSanitizer every block comes
/// from operator new instead (huge_pages.hpp, system_allocator_only).
class block_pool {
public:
  /// Blocks of `block_size` bytes, rounded up to and aligned to
  /// `alignment` (a power of two; at least a pointer's).
  explicit block_pool(std::size_t block_size, std::size_t alignment = 64);

  block_pool(const block_pool&) = delete;
  block_pool& operator=(const block_pool&) = delete;

  /// Unmaps the chunks if every block is free, else leaves them mapped: a
  /// block may outlive the pool's owner (an actor released during static
  /// destruction). The process-wide pools are never destroyed at all.
  ~block_pool();

  /// Throws `std::bad_alloc` when the system has no memory left.
  void* allocate();

  void deallocate(void* block) noexcept;

  std::size_t block_size() const noexcept {
    return block_size_;
  }

  /// Bytes mapped so far, for tests and diagnostics.
  std::size_t mapped_bytes() const;

  /// Blocks allocated and not yet freed (for the user actor pool: live user
  /// actors), for tests and diagnostics.
  std::size_t blocks_in_use() const;

  /// What all pools of the process hold, for memory figures that must not
  /// depend on whether a block was reused (the benchmark's bytes per user).
  struct totals {
    /// Bytes mapped by all pools.
    std::size_t mapped = 0;
    /// Bytes of those mappings in memory (mincore): with huge pages a whole
    /// chunk once touched, without them the pages blocks were cut from.
    std::size_t resident = 0;
    /// Bytes of blocks allocated and not yet freed.
    std::size_t in_use = 0;
  };

  static totals all_pools();

  /// One huge page (huge_pages.hpp).
  static constexpr std::size_t chunk_size = std::size_t{2} << 20;

private:
  struct free_block {
    free_block* next;
  };

  void add_chunk();

  const std::size_t alignment_;
  const std::size_t block_size_;
  mutable std::mutex mtx_;
  free_block* free_ = nullptr;
  char* next_ = nullptr;
  char* end_ = nullptr;
  std::size_t mapped_ = 0;
  std::size_t in_use_ = 0;
  std::vector<std::pair<void*, std::size_t>> chunks_;
};

} // namespace presence::detail

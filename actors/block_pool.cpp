#include "actors/block_pool.hpp"

#include <algorithm>
#include <cstdint>
#include <new>

#include "actors/huge_pages.hpp"

#if defined(__SANITIZE_ADDRESS__)
#  include <sanitizer/asan_interface.h>
#  define PRESENCE_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#  define PRESENCE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#  define PRESENCE_POISON(p, n) ((void) (p), (void) (n))
#  define PRESENCE_UNPOISON(p, n) ((void) (p), (void) (n))
#endif

namespace presence::detail {

namespace {

std::size_t round_up(std::size_t n, std::size_t to) {
  return (n + to - 1) / to * to;
}

// Every live pool, for block_pool::all_pools. Leaked like the pools that
// never die.
struct pool_list {
  std::mutex mtx;
  std::vector<const block_pool*> pools;
};

pool_list& live_pools() {
  static auto* instance = new pool_list;
  return *instance;
}

} // namespace

block_pool::totals block_pool::all_pools() {
  auto& list = live_pools();
  std::lock_guard<std::mutex> guard{list.mtx};
  totals result;
  for (auto* pool : list.pools) {
    std::lock_guard<std::mutex> pool_guard{pool->mtx_};
    result.mapped += pool->mapped_;
    result.in_use += pool->in_use_ * pool->block_size_;
  }
  return result;
}

block_pool::~block_pool() {
  {
    auto& list = live_pools();
    std::lock_guard<std::mutex> guard{list.mtx};
    list.pools.erase(std::find(list.pools.begin(), list.pools.end(), this));
  }
  if (in_use_ == 0)
    for (auto& [chunk, size] : chunks_) {
      // ASan's poison would outlive the mapping and hit its next owner.
      PRESENCE_UNPOISON(chunk, size);
      unmap_huge_pages(chunk, size);
    }
}

block_pool::block_pool(std::size_t block_size, std::size_t alignment)
  : block_size_(round_up(std::max(block_size, sizeof(free_block)),
                         std::max(alignment, alignof(free_block)))) {
  // Nothing is mapped until the first block is asked for.
  auto& list = live_pools();
  std::lock_guard<std::mutex> guard{list.mtx};
  list.pools.push_back(this);
}

void* block_pool::allocate() {
  std::lock_guard<std::mutex> guard{mtx_};
  void* result;
  if (free_ != nullptr) {
    auto* block = free_;
    PRESENCE_UNPOISON(block, block_size_);
    free_ = block->next;
    result = block;
  } else {
    if (static_cast<std::size_t>(end_ - next_) < block_size_)
      add_chunk();
    result = next_;
    next_ += block_size_;
    PRESENCE_UNPOISON(result, block_size_);
  }
  ++in_use_;
  return result;
}

void block_pool::deallocate(void* ptr) noexcept {
  if (ptr == nullptr)
    return;
  auto* block = static_cast<free_block*>(ptr);
  std::lock_guard<std::mutex> guard{mtx_};
  block->next = free_;
  free_ = block;
  --in_use_;
  // The link stays readable by the pool only: ASan reports any other access
  // to a freed block as a use after free.
  PRESENCE_POISON(block, block_size_);
}

std::size_t block_pool::mapped_bytes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return mapped_;
}

std::size_t block_pool::blocks_in_use() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return in_use_;
}

void block_pool::add_chunk() {
  // The rest of the previous chunk (less than one block) is left unused.
  auto size = block_size_ > chunk_size ? round_up(block_size_, chunk_size)
                                       : chunk_size;
  chunks_.reserve(chunks_.size() + 1); // the only throw after mapping
  auto* chunk = static_cast<char*>(map_huge_pages(size));
  chunks_.emplace_back(chunk, size);
  next_ = chunk;
  end_ = chunk + size;
  mapped_ += size;
  PRESENCE_POISON(next_, size);
}

} // namespace presence::detail

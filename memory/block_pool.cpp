#include "memory/block_pool.hpp"

#include <algorithm>
#include <cstdint>
#include <new>

#include <sys/mman.h>
#include <unistd.h>

#include "memory/huge_pages.hpp"

namespace presence::detail {

namespace {

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

// Bytes of [ptr, ptr + size) in memory.
std::size_t resident_bytes(void* ptr, std::size_t size) {
  static const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> pages((size + page - 1) / page);
  if (mincore(ptr, size, pages.data()) != 0)
    return 0;
  auto in_memory = std::count_if(pages.begin(), pages.end(),
                                 [](unsigned char x) { return x & 1; });
  return static_cast<std::size_t>(in_memory) * page;
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
    for (auto& [chunk, size] : pool->chunks_)
      result.resident += resident_bytes(chunk, size);
  }
  return result;
}

block_pool::block_pool(std::size_t block_size, std::size_t alignment)
  : alignment_(std::max(alignment, alignof(free_block))),
    block_size_(round_up(std::max(block_size, sizeof(free_block)),
                         alignment_)) {
  // Nothing is mapped until the first block is asked for.
  auto& list = live_pools();
  std::lock_guard<std::mutex> guard{list.mtx};
  list.pools.push_back(this);
}

block_pool::~block_pool() {
  {
    auto& list = live_pools();
    std::lock_guard<std::mutex> guard{list.mtx};
    list.pools.erase(std::find(list.pools.begin(), list.pools.end(), this));
  }
  if (in_use_ == 0)
    for (auto& [chunk, size] : chunks_)
      unmap_huge_pages(chunk, size);
}

void* block_pool::allocate() {
  if constexpr (system_allocator_only) {
    auto* result = ::operator new(block_size_, std::align_val_t{alignment_});
    std::lock_guard<std::mutex> guard{mtx_};
    ++in_use_;
    return result;
  }
  std::lock_guard<std::mutex> guard{mtx_};
  void* result;
  if (free_ != nullptr) {
    result = free_;
    free_ = free_->next;
  } else {
    if (static_cast<std::size_t>(end_ - next_) < block_size_)
      add_chunk();
    result = next_;
    next_ += block_size_;
  }
  ++in_use_;
  return result;
}

void block_pool::deallocate(void* ptr) noexcept {
  if (ptr == nullptr)
    return;
  if constexpr (system_allocator_only) {
    ::operator delete(ptr, std::align_val_t{alignment_});
    std::lock_guard<std::mutex> guard{mtx_};
    --in_use_;
    return;
  }
  auto* block = static_cast<free_block*>(ptr);
  std::lock_guard<std::mutex> guard{mtx_};
  block->next = free_;
  free_ = block;
  --in_use_;
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
  auto size = round_up(block_size_, chunk_size);
  chunks_.reserve(chunks_.size() + 1); // the only throw after mapping
  auto* chunk = static_cast<char*>(map_huge_pages(size));
  chunks_.emplace_back(chunk, size);
  next_ = chunk;
  end_ = chunk + size;
  mapped_ += size;
}

} // namespace presence::detail

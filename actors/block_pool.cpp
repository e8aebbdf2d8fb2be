#include "actors/block_pool.hpp"

#include <cstdint>
#include <new>

#include <sys/mman.h>

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

constexpr std::size_t block_alignment = 64;

std::size_t round_up(std::size_t n, std::size_t to) {
  return (n + to - 1) / to * to;
}

// A chunk aligned to its own size, so the kernel can back it with one huge
// page: map twice the size and give back the unaligned ends.
char* map_aligned_chunk(std::size_t size) {
  auto* raw = static_cast<char*>(mmap(nullptr, 2 * size,
                                      PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (raw == MAP_FAILED)
    throw std::bad_alloc{};
  auto addr = reinterpret_cast<std::uintptr_t>(raw);
  auto aligned = round_up(addr, size);
  auto head = aligned - addr;
  if (head > 0)
    munmap(raw, head);
  auto tail = size - head;
  if (tail > 0)
    munmap(raw + head + size, tail);
  auto* chunk = reinterpret_cast<char*>(aligned);
#ifdef MADV_HUGEPAGE
  // Advice only: without huge pages the chunk still faults page by page.
  madvise(chunk, size, MADV_HUGEPAGE);
#endif
  return chunk;
}

} // namespace

block_pool::block_pool(std::size_t block_size)
  : block_size_(round_up(block_size < sizeof(free_block) ? sizeof(free_block)
                                                         : block_size,
                         block_alignment)) {
  // Nothing is mapped until the first block is asked for.
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
  next_ = map_aligned_chunk(size);
  end_ = next_ + size;
  mapped_ += size;
  PRESENCE_POISON(next_, size);
}

} // namespace presence::detail

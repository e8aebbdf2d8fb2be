#include "memory/huge_pages.hpp"

#include <cstdint>
#include <new>

#include <sys/mman.h>

namespace presence::detail {

void* map_huge_pages(std::size_t bytes) {
  auto size = round_up(bytes, huge_page_size);
  if constexpr (system_allocator_only)
    return ::operator new(size, std::align_val_t{huge_page_size});
  // Aligned to a huge page so the kernel can back it with them: map one
  // huge page more and give back the unaligned ends.
  auto* raw = static_cast<char*>(mmap(nullptr, size + huge_page_size,
                                      PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (raw == MAP_FAILED)
    throw std::bad_alloc{};
  auto addr = reinterpret_cast<std::uintptr_t>(raw);
  auto head = round_up(addr, huge_page_size) - addr;
  if (head > 0)
    munmap(raw, head);
  auto tail = huge_page_size - head;
  if (tail > 0)
    munmap(raw + head + size, tail);
  auto* region = raw + head;
#ifdef MADV_HUGEPAGE
  // Advice only: without huge pages the region still faults page by page.
  madvise(region, size, MADV_HUGEPAGE);
#endif
  return region;
}

void* map_pages(std::size_t bytes) {
  if constexpr (system_allocator_only)
    return ::operator new(bytes);
  auto* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw std::bad_alloc{};
  return p;
}

void unmap_pages(void* ptr, std::size_t bytes) noexcept {
  if (ptr == nullptr)
    return;
  if constexpr (system_allocator_only)
    ::operator delete(ptr);
  else
    munmap(ptr, bytes);
}

void unmap_huge_pages(void* ptr, std::size_t bytes) noexcept {
  if (ptr == nullptr)
    return;
  if constexpr (system_allocator_only)
    ::operator delete(ptr, std::align_val_t{huge_page_size});
  else
    munmap(ptr, round_up(bytes, huge_page_size));
}

} // namespace presence::detail

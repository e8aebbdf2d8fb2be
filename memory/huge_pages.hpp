#pragma once

#include <cstddef>
#include <limits>
#include <memory>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#  define PRESENCE_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define PRESENCE_ADDRESS_SANITIZER 1
#  endif
#endif

namespace presence::detail {

/// Under AddressSanitizer the block pools and huge-page mappings pass every
/// request to operator new/delete: ASan's redzones, quarantine and leak
/// checker then see each user actor, session vector and table array as if
/// the pools did not exist (a pool reuses the block freed last and LSan does
/// not scan memory a program maps itself).
#ifdef PRESENCE_ADDRESS_SANITIZER
constexpr bool system_allocator_only = true;
#else
constexpr bool system_allocator_only = false;
#endif

/// Size and alignment of a transparent huge page on x86-64.
constexpr std::size_t huge_page_size = std::size_t{2} << 20;

/// `n` rounded up to a multiple of `to`.
constexpr std::size_t round_up(std::size_t n, std::size_t to) noexcept {
  return (n + to - 1) / to * to;
}

/// Maps `bytes` (rounded up to whole huge pages) of zeroed anonymous memory,
/// aligned to a huge page and advised `MADV_HUGEPAGE`: where the kernel
/// grants transparent huge pages for advised memory (the Debian default
/// `madvise` mode), each 2 MiB faults once instead of 512 times. Throws
/// `std::bad_alloc` when the system has no memory left. Under ASan, plain
/// operator new (see system_allocator_only).
void* map_huge_pages(std::size_t bytes);

/// Returns memory from map_huge_pages(bytes) to the system.
void unmap_huge_pages(void* ptr, std::size_t bytes) noexcept;

/// glibc's initial mmap threshold: malloc maps a block this big or bigger
/// apart, and on freeing one raises the threshold to its size (up to
/// 32 MiB) and the trim threshold to twice that. From then on every
/// thread's arena keeps that much free memory resident at its top, which
/// malloc_trim does not return (docs/performance.md, C9). A block the
/// library maps itself leaves the threshold alone.
constexpr std::size_t malloc_mmap_threshold = std::size_t{128} << 10;

/// Maps `bytes` (rounded up to whole pages) of zeroed anonymous memory, for
/// blocks from malloc_mmap_threshold up to a huge page. Under ASan, plain
/// operator new (see system_allocator_only).
void* map_pages(std::size_t bytes);

/// Returns memory from map_pages(bytes) to the system.
void unmap_pages(void* ptr, std::size_t bytes) noexcept;

/// An allocator for big arrays (the user table's entries and index, a
/// replica's sessions, a snapshot's update): those of at least a huge page
/// come from map_huge_pages, those of at least malloc_mmap_threshold from
/// map_pages, smaller ones from operator new. Why huge pages: at a million
/// users the table's arrays are ~110 MB, regrown by doubling. From malloc
/// each growth faults in 4 KiB pages one by one (~30k faults per million
/// users, docs/performance.md). Why map the middle sizes too: malloc would
/// map them anyway, and freeing them would raise its threshold.
template <class T>
class huge_page_allocator {
public:
  using value_type = T;

  huge_page_allocator() noexcept = default;

  template <class U>
  huge_page_allocator(const huge_page_allocator<U>&) noexcept {
    // Stateless.
  }

  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T))
      throw std::bad_array_new_length{};
    auto bytes = n * sizeof(T);
    if (bytes < malloc_mmap_threshold)
      return std::allocator<T>{}.allocate(n);
    if (bytes < huge_page_size)
      return static_cast<T*>(map_pages(bytes));
    return static_cast<T*>(map_huge_pages(bytes));
  }

  void deallocate(T* ptr, std::size_t n) noexcept {
    auto bytes = n * sizeof(T);
    if (bytes < malloc_mmap_threshold)
      std::allocator<T>{}.deallocate(ptr, n);
    else if (bytes < huge_page_size)
      unmap_pages(ptr, bytes);
    else
      unmap_huge_pages(ptr, bytes);
  }

  template <class U>
  bool operator==(const huge_page_allocator<U>&) const noexcept {
    return true;
  }

  template <class U>
  bool operator!=(const huge_page_allocator<U>&) const noexcept {
    return false;
  }
};

} // namespace presence::detail

#pragma once

#include <cstddef>
#include <memory>

#include "memory/block_pool.hpp"

namespace presence::detail {

/// An allocator whose one-element allocations come from a block pool for `T`
/// (one per process and type, never returned to the system: block_pool.hpp),
/// and larger ones from operator new.
///
/// For the per-user session vectors (the user actor's and the table's),
/// which almost always hold one session: from malloc each was a ~100-byte
/// chunk of the registry thread's arena, grown a 4 KiB page at a time with
/// an `mprotect` and a page fault each (~45k of both per million users).
/// From a pool they are 2 MiB huge pages, and 16 bytes of chunk header less.
template <class T>
class pooled_allocator {
public:
  using value_type = T;

  pooled_allocator() noexcept = default;

  template <class U>
  pooled_allocator(const pooled_allocator<U>&) noexcept {
    // Stateless.
  }

  T* allocate(std::size_t n) {
    if (n == 1)
      return static_cast<T*>(pool().allocate());
    return std::allocator<T>{}.allocate(n);
  }

  void deallocate(T* ptr, std::size_t n) noexcept {
    if (n == 1)
      pool().deallocate(ptr);
    else
      std::allocator<T>{}.deallocate(ptr, n);
  }

  template <class U>
  bool operator==(const pooled_allocator<U>&) const noexcept {
    return true;
  }

  template <class U>
  bool operator!=(const pooled_allocator<U>&) const noexcept {
    return false;
  }

  /// Never destroyed: a block may be freed during static destruction.
  static block_pool& pool() {
    static auto* instance = new block_pool(sizeof(T), alignof(T));
    return *instance;
  }
};

} // namespace presence::detail

#include "memory/free_memory.hpp"

// Any C library header defines __GLIBC__ on glibc; without one it is unset.
#include <cstdlib>

#if defined(__GLIBC__)
#  include <malloc.h>
#endif

namespace presence::detail {

void release_free_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

} // namespace presence::detail

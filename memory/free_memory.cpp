#include "memory/free_memory.hpp"

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

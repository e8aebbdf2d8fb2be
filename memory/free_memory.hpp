#pragma once

// Handing the free memory malloc keeps back to the system.
//
// glibc raises its mmap threshold to the size of each mmapped block it frees
// (up to 32 MiB) and keeps freed memory in its arenas from then on. After a
// big burst of transients (a peer's snapshot of a million sessions) that is
// tens of MiB of RSS that no live object uses (docs/performance.md, "C9").

namespace presence::detail {

/// Returns malloc's free pages to the system where the C library can
/// (glibc's malloc_trim, which walks every arena); elsewhere does nothing.
/// Takes each arena's lock in turn: call it rarely.
void release_free_memory();

} // namespace presence::detail

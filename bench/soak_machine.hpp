#pragma once

// What the soak reads about its process and the machine: resident memory,
// the load average and how much CPU time the machine itself takes away.

#include <cstddef>
#include <string>

namespace soak {

/// Resident memory of this process in bytes (/proc/self/statm).
size_t rss_bytes();

/// Bytes malloc has handed out and not taken back (mallinfo2: arenas and
/// mmapped chunks); RSS above it is free heap not returned to the kernel,
/// or memory malloc does not manage (the library's pools, stacks).
size_t heap_in_use();

/// Bytes the library's block pools hand out now (user actors and sessions;
/// the pools keep freed blocks for reuse).
size_t pools_in_use();

/// The 1-minute load average (/proc/loadavg), or -1 if unreadable.
double load_average();

/// One thread per CPU spins on the clock for `ms` and counts the gaps longer
/// than 100 us (time it was not running): on a shared machine, the soak's
/// rates mean little without it. Returns a line of text.
std::string machine_stalls(int ms);

} // namespace soak

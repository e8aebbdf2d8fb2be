#pragma once

// What the soak reads about its process and the machine beyond
// bench/machine.hpp (resident memory, the stall check): heap and pools in use
// and the load average.

#include <cstddef>
#include <string>

namespace soak {

/// Bytes malloc has handed out and not taken back (mallinfo2: arenas and
/// mmapped chunks); RSS above it is free heap not returned to the kernel,
/// or memory malloc does not manage (the library's pools, stacks).
size_t heap_in_use();

/// Bytes the library's block pools hand out now (user actors and sessions;
/// the pools keep freed blocks for reuse).
size_t pools_in_use();

/// The 1-minute load average (/proc/loadavg), or -1 if unreadable.
double load_average();

} // namespace soak

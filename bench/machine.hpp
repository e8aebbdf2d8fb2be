#pragma once

// What the benchmark and the soak read about the machine and their own
// process: CPUs, resident memory, and how much the machine itself stalls.

#include <cstddef>
#include <string>

namespace bench {

/// CPUs this process may run on (its affinity mask).
size_t cpus_available();

/// Resident memory of this process in bytes (/proc/self/statm).
size_t rss_bytes();

/// One line: how much the machine itself stalled over `ms` (see its
/// definition).
std::string machine_stalls(int ms);

} // namespace bench

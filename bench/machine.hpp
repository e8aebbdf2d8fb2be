#pragma once

// What the benchmark and the soak read about the machine and their own
// process: CPUs, memory, CPU time and page faults, the kernel's memory
// monitor, and how much the machine itself stalls.

#include <cstddef>
#include <string>

namespace bench {

/// CPUs this process may run on (its affinity mask).
size_t cpus_available();

/// Resident memory of this process in bytes (/proc/self/statm).
size_t rss_bytes();

/// The CPU's model name (/proc/cpuinfo).
std::string cpu_model();

/// CPU time (user + system, all threads) this process has used.
double cpu_seconds();

/// Page faults of this process so far (minor: no disk involved).
long page_faults();

/// Whether the kernel runs DAMON monitors, and what they do (one line).
std::string damon_state();

/// One line: how much the machine itself stalled over `ms` (see its
/// definition).
std::string machine_stalls(int ms);

} // namespace bench

#pragma once

// What the benchmark and the soak read about the machine and their own
// process: CPUs, memory, CPU time and page faults, the kernel's memory
// monitor, and how much the machine itself stalls.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace bench {

/// Now on the steady clock (CLOCK_MONOTONIC, which every process on the
/// machine shares) in ns: what a latency run's content and the cluster
/// bench's lines carry.
inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

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

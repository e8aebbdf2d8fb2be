#include "bench/machine.hpp"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#include <sched.h>
#include <unistd.h>

namespace bench {

namespace {

using clk = std::chrono::steady_clock;

} // namespace

size_t cpus_available() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    return static_cast<size_t>(CPU_COUNT(&set));
  return std::thread::hardware_concurrency();
}

/// Resident memory of this process in bytes (/proc/self/statm).
size_t rss_bytes() {
  std::ifstream in{"/proc/self/statm"};
  size_t pages_total = 0;
  size_t pages_resident = 0;
  in >> pages_total >> pages_resident;
  return pages_resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

/// What the machine itself takes from a process that wants every CPU: one
/// thread per CPU spins on the clock for `ms` and counts the gaps longer
/// than 100 us (time it was not running). A push whose worker loses its core
/// waits that long, and at 100k pushes/s a few milliseconds of such gaps in
/// the 1.5 s latency run are enough to move the p99 past 200 us. So the
/// benchmark states how much this machine stalls, measured with nothing of
/// presence running (docs/performance.md, "Where the time goes now"), as
/// one line of the output.
std::string machine_stalls(int ms) {
  constexpr auto min_gap = std::chrono::microseconds(100);
  struct figures {
    double lost_ms = 0;
    double longest_ms = 0;
    uint64_t gaps = 0;
  };
  auto threads = std::max<size_t>(cpus_available(), 1);
  std::vector<figures> per(threads);
  std::vector<std::thread> spinners;
  auto start = clk::now();
  auto end = start + std::chrono::milliseconds(ms);
  for (size_t i = 0; i < threads; ++i)
    spinners.emplace_back([&r = per[i], end, min_gap] {
      auto prev = clk::now();
      while (prev < end) {
        auto now = clk::now();
        if (now - prev > min_gap) {
          auto gap = std::chrono::duration<double, std::milli>(now - prev)
                       .count();
          r.lost_ms += gap;
          r.longest_ms = std::max(r.longest_ms, gap);
          ++r.gaps;
        }
        prev = now;
      }
    });
  for (auto& t : spinners)
    t.join();
  auto cpu_secs = std::chrono::duration<double>(clk::now() - start).count()
                  * static_cast<double>(threads);
  figures total;
  for (auto& r : per) {
    total.lost_ms += r.lost_ms;
    total.longest_ms = std::max(total.longest_ms, r.longest_ms);
    total.gaps += r.gaps;
  }
  char buf[200];
  std::snprintf(buf, sizeof(buf),
                "%.1f ms lost per CPU-second in %" PRIu64
                " gaps over 100 us, longest %.2f ms (%d ms, one spinning "
                "thread per CPU, presence idle)",
                total.lost_ms / cpu_secs, total.gaps, total.longest_ms, ms);
  return buf;
}

} // namespace bench

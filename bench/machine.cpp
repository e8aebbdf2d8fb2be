#include "bench/machine.hpp"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sched.h>
#include <unistd.h>

namespace bench {

namespace {

using clk = std::chrono::steady_clock;

bool starts_with(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

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

std::string cpu_model() {
  std::ifstream in{"/proc/cpuinfo"};
  std::string line;
  while (std::getline(in, line)) {
    if (starts_with(line, "model name")) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto first = line.find_first_not_of(" \t", colon + 1);
        return first == std::string::npos ? "" : line.substr(first);
      }
    }
  }
  return "unknown";
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& x) { return x.tv_sec + x.tv_usec / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

long page_faults() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

// A kdamond with a pageout scheme can hold one of two cores for tens of
// milliseconds, which alone decides a latency run's p99
// (docs/performance.md): say whether this run had one.
std::string damon_state() {
  const std::string dir = "/sys/kernel/mm/damon/admin/kdamonds/";
  auto read = [](const std::string& path) {
    std::ifstream in{path};
    std::string line;
    std::getline(in, line);
    return line;
  };
  auto count = read(dir + "nr_kdamonds");
  if (count.empty())
    return "none found";
  std::string result;
  int on = 0;
  for (int i = 0; i < std::atoi(count.c_str()); ++i) {
    auto k = dir + std::to_string(i) + "/";
    if (read(k + "state") != "on")
      continue;
    ++on;
    auto ctx = k + "contexts/0/";
    result += (result.empty() ? "" : "; ") + std::string{"kdamond "}
              + std::to_string(i) + " on (" + read(ctx + "operations") + ", "
              + read(ctx + "schemes/0/action") + ")";
  }
  return on == 0 ? "off" : result;
}

} // namespace bench

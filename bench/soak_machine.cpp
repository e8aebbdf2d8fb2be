#include "soak_machine.hpp"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#include <malloc.h>
#include <unistd.h>

// Internal, read for the memory series only.
#include "actors/block_pool.hpp"

namespace soak {

size_t rss_bytes() {
  std::ifstream in{"/proc/self/statm"};
  size_t pages_total = 0;
  size_t pages_resident = 0;
  in >> pages_total >> pages_resident;
  return pages_resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

size_t heap_in_use() {
  auto mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

size_t pools_in_use() {
  return presence::detail::block_pool::all_pools().in_use;
}

double load_average() {
  std::ifstream in{"/proc/loadavg"};
  double x = -1;
  in >> x;
  return in ? x : -1;
}

std::string machine_stalls(int ms) {
  using clk = std::chrono::steady_clock;
  constexpr auto min_gap = std::chrono::microseconds(100);
  struct figures {
    double lost_ms = 0;
    double longest_ms = 0;
    uint64_t gaps = 0;
  };
  auto threads = std::max(std::thread::hardware_concurrency(), 1u);
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
                  * threads;
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
                "thread per CPU)",
                total.lost_ms / cpu_secs, total.gaps, total.longest_ms, ms);
  return buf;
}

} // namespace soak

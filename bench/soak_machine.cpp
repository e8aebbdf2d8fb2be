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
#include "memory/block_pool.hpp"

namespace soak {


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


} // namespace soak

#pragma once

// The idle expiry rows X1-X3: login rate and memory with expiry off and on,
// the CPU cost of idle checks, and how fast silent sessions expire.

#include <cstddef>

#include "bench/options.hpp"

namespace bench {

void run_expiry_rows(size_t n, const options& opts);

} // namespace bench

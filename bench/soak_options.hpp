#pragma once

// The soak's command line (listed at the top of soak.cpp).

#include <string>
#include <vector>

#include "soak_load.hpp"

namespace soak {

struct options {
  /// The whole run, ramp included.
  double minutes = 10;
  load_options load;
  double changes_per_minute = 100000;
  double fail_rate = 0.01;
  double stall_rate = 0.01;
  double die_every_s = 20;
  double sample_every_s = 10;
  double rss_reference_s = 120;
  int stall_check_ms = 2000;
  int drain_timeout_s = 120;
  std::vector<std::string> caf_args;
};

/// Prints `what` and exits with status 2.
[[noreturn]] void usage_error(const std::string& what);

/// Exits with status 2 on a bad argument. Arguments it does not know that
/// start with `--` go to CAF's parser; `--short` sets small defaults that
/// later options override.
options parse_options(int argc, char** argv);

} // namespace soak

#pragma once

// What the benchmark's workloads share: the result table, formatting,
// failure handling, and (machine.hpp) the machine stall check.

#include <string>

#include <presence/config.hpp>

#include "bench/machine.hpp"

namespace bench {

struct row {
  std::string name;
  size_t n = 0;
  std::string ops;
  std::string time;
  std::string rate;
  std::string per_op;
  std::string baseline;
  std::string vs_base;
  std::string target;
  std::string holds;
};

void print_row(const row& r);

std::string fmt(const char* format, double x);
std::string fmt_rate(double per_s, const char* unit = "/s");
std::string fmt_duration(double s);
std::string fmt_count(size_t n);

/// Reports a count that is off (or a timeout) and exits non-zero at once.
[[noreturn]] void fail(const std::string& what);

void check(bool ok, const std::string& what);

void progress(const char* format, ...) __attribute__((format(printf, 1, 2)));

} // namespace bench

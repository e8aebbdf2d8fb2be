#pragma once

// What the benchmark's workloads share: the result table, formatting, the
// figures to beat, failure handling, and (machine.hpp) the machine stall
// check.

#include <chrono>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <presence/config.hpp>

#include "bench/machine.hpp"

namespace bench {

using clk = std::chrono::steady_clock;

inline double seconds_between(clk::time_point a, clk::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

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

void print_header();
void print_row(const row& r);

std::string fmt(const char* format, double x);
std::string fmt_rate(double per_s, const char* unit = "/s");
std::string fmt_duration(double s);
std::string fmt_per_op(double s);
std::string fmt_count(size_t n);

struct reference {
  double base_100k; // ops/s (or B/user) of the original module at 100k
  double base_1m;   // ... at 1M
  double mult;      // target factor at 1M (rates: >= mult * base)
};


/// "yes"/"**NO**" at 1M, "(yes)"/"(no)" at 100k, nothing otherwise: targets
/// are set at 1M; at 100k the same factor is shown for information.
std::string verdict(size_t n, bool ok);

/// The baseline for `n`, if the reference has one.
const double* baseline_at(const reference& ref, size_t n);

/// A throughput row: `ops` operations in `secs` seconds, against `ref`.
row rate_row(const std::string& name, size_t n, size_t ops, double secs,
             const reference& ref, const char* unit = "/s");

/// The N being run, for failure messages.
extern size_t current_n;

/// Reports a count that is off (or a timeout) and exits non-zero at once.
[[noreturn]] void fail(const std::string& what);

void check(bool ok, const std::string& what);

template <class T>
T value_or_fail(caf::actor_system& sys, caf::expected<T> x,
                const std::string& what) {
  if (!x)
    fail(what + ": " + sys.render(x.error()));
  return std::move(*x);
}

void progress(const char* format, ...) __attribute__((format(printf, 1, 2)));

} // namespace bench

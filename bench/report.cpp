#include "bench/report.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace bench {

std::string fmt(const char* format, double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, x);
  return buf;
}

std::string fmt_rate(double per_s, const char* unit) {
  if (per_s >= 1e6)
    return fmt("%.2f M", per_s / 1e6) + unit;
  if (per_s >= 1e3)
    return fmt("%.1f k", per_s / 1e3) + unit;
  return fmt("%.0f ", per_s) + unit;
}

std::string fmt_duration(double s) {
  if (s >= 1.0)
    return fmt("%.2f s", s);
  if (s >= 1e-3)
    return fmt("%.1f ms", s * 1e3);
  return fmt("%.1f us", s * 1e6);
}

std::string fmt_per_op(double s) {
  if (s >= 1e-3)
    return fmt("%.2f ms", s * 1e3);
  if (s >= 1e-6)
    return fmt("%.2f us", s * 1e6);
  return fmt("%.0f ns", s * 1e9);
}

std::string fmt_count(size_t n) {
  auto s = std::to_string(n);
  std::string out;
  int digits = 0;
  for (auto i = s.rbegin(); i != s.rend(); ++i) {
    if (digits > 0 && digits % 3 == 0)
      out.insert(out.begin(), ',');
    out.insert(out.begin(), *i);
    ++digits;
  }
  return out;
}

void print_header() {
  std::printf("| Workload | N | Ops | Time | Rate | Per op | Baseline | "
              "vs base | Target | Holds |\n");
  std::printf("|---|--:|--:|--:|--:|--:|--:|--:|---|---|\n");
  std::fflush(stdout);
}

void print_row(const row& r) {
  auto cell = [](const std::string& s) { return s.empty() ? "-" : s; };
  std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
              r.name.c_str(), fmt_count(r.n).c_str(), cell(r.ops).c_str(),
              cell(r.time).c_str(), cell(r.rate).c_str(),
              cell(r.per_op).c_str(), cell(r.baseline).c_str(),
              cell(r.vs_base).c_str(), cell(r.target).c_str(),
              cell(r.holds).c_str());
  std::fflush(stdout);
}

std::string verdict(size_t n, bool ok) {
  if (n == 1000000)
    return ok ? "yes" : "**NO**";
  if (n == 100000)
    return ok ? "(yes)" : "(no)";
  return "";
}

const double* baseline_at(const reference& ref, size_t n) {
  if (n == 100000)
    return &ref.base_100k;
  if (n == 1000000)
    return &ref.base_1m;
  return nullptr;
}

row rate_row(const std::string& name, size_t n, size_t ops, double secs,
             const reference& ref, const char* unit) {
  row r;
  r.name = name;
  r.n = n;
  r.ops = fmt_count(ops);
  r.time = fmt_duration(secs);
  auto rate = secs > 0 ? static_cast<double>(ops) / secs : 0.0;
  r.rate = fmt_rate(rate, unit);
  r.per_op = ops > 0 ? fmt_per_op(secs / static_cast<double>(ops)) : "";
  if (auto base = baseline_at(ref, n); base != nullptr && *base > 0) {
    r.baseline = fmt_rate(*base, unit);
    r.vs_base = fmt("%.2fx", rate / *base);
    r.target = ">= " + fmt_rate(ref.mult * *base, unit) + " ("
               + fmt("%.0fx", ref.mult) + ")";
    r.holds = verdict(n, rate >= ref.mult * *base);
  }
  return r;
}

size_t current_n = 0;

// No unwinding: the destructors of a stuck online_manager or actor_system
// would block.
[[noreturn]] void fail(const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "[bench] FAILED at N=%zu: %s\n", current_n,
               what.c_str());
  std::printf("\nFAILED at N=%zu: %s\n", current_n, what.c_str());
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(1);
}

void check(bool ok, const std::string& what) {
  if (!ok)
    fail(what);
}

void progress(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::fprintf(stderr, "[bench] ");
  std::vfprintf(stderr, format, args);
  std::fprintf(stderr, "\n");
  va_end(args);
}

} // namespace bench

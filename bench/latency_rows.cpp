// The latency rows L: pushes offered at a steady rate, each carrying its
// send time, and the percentiles of send-to-pusher latency.

#include <algorithm>
#include <thread>

#include <sys/prctl.h>

#include <caf/all.hpp>

#include "bench/machine.hpp"
#include "bench/main_rows.hpp"

namespace bench {

using std::chrono::duration_cast;
using std::chrono::nanoseconds;

constexpr double target_p50_us = 20;
constexpr double target_p99_us = 200;

void latency_rows(main_run& r) {
  auto n = r.n;
  auto& mgr = r.mgr;
  auto& ids = r.ids;
  {
    progress("N=%zu push latency, %.0f/s for %d ms after %d ms warm-up", n,
             r.opts.latency_rate, r.opts.latency_ms, r.opts.latency_warmup_ms);
    auto count = static_cast<size_t>(r.opts.latency_rate * r.opts.latency_ms
                                     / 1000.0);
    if (count == 0)
      count = 1;
    // The offered load is steady before it is measured: the sender runs
    // at the same rate for the warm-up first. In the first seconds of
    // load the workers poll less (the process used ~70% of the CPU it
    // uses from the third second on, in 500 ms slices) and the p99 at 1M
    // users was 230-280 us against 90-180 us afterwards
    // (docs/performance.md).
    auto warmup = static_cast<size_t>(r.opts.latency_rate
                                      * r.opts.latency_warmup_ms / 1000.0);
    // Written once here so the pusher does not fault its pages in while it
    // records (~300 faults of several us each at 150k samples, which
    // landed in the very latencies being measured).
    r.c->latencies.assign(count, 0);
    r.c->latencies.clear();
    r.c->unparsable = 0;
    r.c->warmups = 0;
    r.c->latency_mode.store(true);
    if (r.opts.sleep_pacing)
      prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); // precise sleeps
    auto interval = nanoseconds(
      static_cast<int64_t>(1e9 / r.opts.latency_rate));
    // Spread over the users: a stride coprime to most N.
    const size_t stride = 7919;
    auto start = clk::now() + std::chrono::milliseconds(1);
    int64_t max_lag_ns = 0;
    clk::time_point first_send;
    clk::time_point last_send;
    for (size_t i = 0; i < warmup + count; ++i) {
      auto due = start + interval * static_cast<int64_t>(i);
      auto now = clk::now();
      if (r.opts.sleep_pacing) {
        // Sleep until due; after a late wake-up every message due by then
        // goes out at once (still the same offered rate).
        if (now < due) {
          std::this_thread::sleep_until(due);
          now = clk::now();
        }
      } else {
        while (now < due) {
          std::this_thread::yield();
          now = clk::now();
        }
      }
      if (i < warmup) {
        mgr.push_to_user(ids[(i * stride) % n], r.c->warmup_content);
        continue;
      }
      auto k = i - warmup;
      max_lag_ns = std::max<int64_t>(max_lag_ns,
                                     duration_cast<nanoseconds>(now - due)
                                       .count());
      if (k == 0)
        first_send = now;
      last_send = now;
      auto stamp = duration_cast<nanoseconds>(now.time_since_epoch())
                     .count();
      mgr.push_to_user(ids[(i * stride) % n], std::to_string(stamp));
    }
    r.expect_deliveries(warmup + count, "latency run");
    mgr.sync();
    r.c->latency_mode.store(false);
    r.check_exact("latency run");
    check(r.c->unparsable == 0, "latency run: "
                                + std::to_string(r.c->unparsable)
                                + " deliveries without a timestamp");
    check(r.c->warmups == warmup,
          "latency run: " + std::to_string(r.c->warmups)
            + " warm-up deliveries, expected " + std::to_string(warmup));
    check(r.c->latencies.size() == count,
          "latency run: " + std::to_string(r.c->latencies.size())
            + " samples, expected " + std::to_string(count));
    auto lat = r.c->latencies;
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) {
      auto idx = static_cast<size_t>(p * static_cast<double>(lat.size()
                                                             - 1));
      return static_cast<double>(lat[idx]) / 1e3; // us
    };
    auto send_secs = seconds_between(first_send, last_send);
    auto achieved = send_secs > 0 ? static_cast<double>(count - 1)
                                      / send_secs
                                  : 0.0;
    auto emit = [&](const char* name, double us, double target) {
      row r;
      r.name = name;
      r.n = n;
      r.ops = fmt_count(count);
      r.time = fmt_duration(send_secs);
      r.rate = fmt("%.1f us", us);
      r.target = fmt("< %.0f us", target);
      r.holds = us < target ? "yes" : "**NO**";
      print_row(r);
    };
    emit("L push p50", pct(0.50), target_p50_us);
    emit("L push p99", pct(0.99), target_p99_us);
    r.notes.push_back("N=" + fmt_count(n) + ": latency run offered "
                    + fmt_rate(achieved) + " (target "
                    + fmt_rate(r.opts.latency_rate) + "), sender max lag "
                    + fmt_duration(max_lag_ns / 1e9) + "; p90 "
                    + fmt("%.1f us", pct(0.90)) + ", p99.9 "
                    + fmt("%.1f us", pct(0.999)) + ", max "
                    + fmt("%.1f us", lat.back() / 1e3));
    // Right after the run, while the machine is in the same state.
    if (r.opts.stall_check_ms > 0)
      r.notes.push_back("N=" + fmt_count(n) + ": machine stalls after the "
                      "latency run: "
                      + machine_stalls(r.opts.stall_check_ms));
  }
}

} // namespace bench

#pragma once

// The main rows: W1-W6 and the push latency run, all through the public
// facade with a counting pusher, in one fresh actor system per N. One
// function per workload; they run in this order on one population.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <presence/presence.hpp>

#include "bench/counting_pusher.hpp"
#include "bench/options.hpp"
#include "bench/report.hpp"

namespace bench {

/// Login ids `user{i}` and tokens `tok{i}-web`, as the workloads define them.
std::pair<std::vector<std::string>, std::vector<std::string>>
make_ids(size_t n);

/// What the workloads of one N share.
struct main_run {
  size_t n;
  const options& opts;
  std::vector<std::string>& notes;
  caf::actor_system& sys;
  presence::online_manager& mgr;
  std::shared_ptr<counters> c;
  const std::vector<std::string>& ids;
  const std::vector<std::string>& tokens;
  std::chrono::seconds wait_timeout;
  /// Deliveries the pusher should have counted so far.
  uint64_t expected_deliveries = 0;
  /// Running actors before W1, after W1 and before W6 (the teardown row).
  size_t running_base = 0;
  size_t running_after_w1 = 0;
  size_t running_before_w6 = 0;
  clk::time_point w6_end;

  /// Waits for `more` deliveries (fails on a timeout).
  void expect_deliveries(uint64_t more, const char* what);

  /// After a push workload: no more and no fewer deliveries than expected,
  /// and one session per delivery (every user has exactly one session).
  void check_exact(const char* what);
};

void w1_mark_online(main_run& r, size_t rss_start);
void w2_is_online(main_run& r);
void w3_push_to_user(main_run& r);
void w4_push_to_user_x2(main_run& r);
void w5_broadcast(main_run& r);
void latency_rows(main_run& r);
void w6_mark_offline(main_run& r);
void w6_teardown(main_run& r);

/// Runs the rows above for `n` (with `workloads` false only the system
/// information is printed, once, when `print_system_info`).
void run_main_rows(size_t n, const options& opts,
                   std::vector<std::string>& notes, bool print_system_info,
                   bool workloads = true);

} // namespace bench

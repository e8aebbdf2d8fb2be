#include "bench/expiry_rows.hpp"

#include <algorithm>
#include <thread>

#include <caf/all.hpp>

#include <presence/presence.hpp>

#include "bench/machine.hpp"
#include "bench/main_rows.hpp"
#include "bench/memory_snapshot.hpp"
#include "bench/report.hpp"

namespace bench {

namespace {

constexpr const char* device = "web";

struct expiry_figures {
  double w1_secs = 0;
  double bytes_per_user = 0;
  double window_secs = 0;
  double window_cpu = 0;
  double expire_secs = 0;
};

/// One run of the expiry scenario with idle timeout `timeout` (zero: off).
/// Timeline, with T the timeout and A the time W1 takes:
///   0          mark N users online (A)
///   A + P      refresh every session once (update_activity)
///   T .. T+A   every user's first idle check fires and finds its session
///              refreshed: the bookkeeping cost, measured as CPU time of the
///              whole process in that window (the same window with expiry off
///              is the baseline)
///   A+P+T ..   the second checks find the sessions silent and expire them
expiry_figures run_expiry_once(size_t n, const options& opts,
                               caf::timespan timeout, caf::timespan t_scale,
                               caf::timespan pause,
                               const std::vector<std::string>& ids,
                               const std::vector<std::string>& tokens) {
  presence::config cfg;
  parse_caf_options(opts, cfg);
  cfg.set("presence.idle-timeout", timeout);
  expiry_figures fig;
  auto sys_ptr = std::make_unique<caf::actor_system>(cfg);
  auto& sys = *sys_ptr;
  auto mgr_ptr = std::make_unique<presence::online_manager>(sys);
  auto& mgr = *mgr_ptr;
  if (auto err = mgr.status())
    fail("expiry: online_manager status: " + sys.render(err));
  mgr.sync();
  release_free_memory();
  memory_snapshot mem_before;
  auto t0 = clk::now();
  for (size_t i = 0; i < n; ++i)
    mgr.mark_online(presence::make_online_user(ids[i], tokens[i], device));
  auto online = value_or_fail(sys, mgr.get_online_count(), "X1 count");
  auto t1 = clk::now();
  check(online == n, "X1: get_online_count() = " + std::to_string(online));
  fig.w1_secs = seconds_between(t0, t1);
  fig.bytes_per_user = memory_snapshot{}.grown_since(mem_before)
                       / static_cast<double>(n);
  auto a = t1 - t0;
  std::this_thread::sleep_until(t1 + pause);
  for (size_t i = 0; i < n; ++i)
    mgr.update_activity(ids[i], tokens[i]);
  mgr.sync();
  auto b_end = clk::now();
  auto window_start = t0 + t_scale;
  auto window_end = t0 + t_scale + a + pause / 2;
  if (b_end > window_start)
    fail("X2: the refresh ended after the first idle checks were due; "
         "raise --bench-timeout-s or use a smaller N");
  std::this_thread::sleep_until(window_start);
  auto cpu0 = cpu_seconds();
  std::this_thread::sleep_until(window_end);
  fig.window_cpu = cpu_seconds() - cpu0;
  fig.window_secs = seconds_between(window_start, window_end);
  online = value_or_fail(sys, mgr.get_online_count(), "X2 count");
  check(online == n, "X2: " + std::to_string(n - online)
                       + " refreshed sessions expired early");
  if (timeout.count() > 0) {
    // X3: the second checks expire everything.
    auto deadline = clk::now() + t_scale + std::chrono::seconds(opts.timeout_s);
    auto first_due = t1 + pause + t_scale;
    while (value_or_fail(sys, mgr.get_online_count(), "X3 count") > 0) {
      if (clk::now() > deadline)
        fail("X3: sessions did not expire");
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    fig.expire_secs = seconds_between(first_due, clk::now());
    auto st = value_or_fail(sys, mgr.stats(), "X3 stats");
    check(st.expiries == n, "X3: stats().expiries = "
                              + std::to_string(st.expiries) + ", expected "
                              + std::to_string(n));
    check(st.sessions == 0, "X3: sessions left");
  }
  mgr_ptr.reset();
  sys_ptr.reset();
  return fig;
}

} // namespace

void run_expiry_rows(size_t n, const options& opts) {
  auto [ids, tokens] = make_ids(n);
  // Long enough that W1 plus the refresh ends before the first checks fire.
  auto t_scale = std::chrono::duration_cast<caf::timespan>(
    std::chrono::seconds(1) + std::chrono::microseconds(35) * n);
  auto pause = std::chrono::duration_cast<caf::timespan>(
    std::chrono::milliseconds(250) + std::chrono::microseconds(3) * n);
  progress("N=%zu X1-X3 idle expiry off", n);
  auto off = run_expiry_once(n, opts, caf::timespan{0}, t_scale, pause, ids,
                             tokens);
  progress("N=%zu X1-X3 idle expiry on (timeout %.1f s)", n,
           std::chrono::duration<double>(t_scale).count());
  auto on = run_expiry_once(n, opts, t_scale, t_scale, pause, ids, tokens);
  for (auto* f : {&off, &on}) {
    auto label = f == &off ? ", expiry off" : ", expiry on";
    print_row(rate_row(std::string{"X1 mark_online"} + label, n, n, f->w1_secs,
                       reference{0, 0, 0}));
    row r;
    r.name = std::string{"X1 memory"} + label;
    r.n = n;
    r.ops = fmt_count(n) + " users";
    r.rate = fmt("%.0f B/user", f->bytes_per_user);
    print_row(r);
  }
  for (auto* f : {&off, &on}) {
    row r;
    r.name = std::string{"X2 idle checks"}
             + (f == &off ? ", expiry off" : ", expiry on");
    r.n = n;
    r.ops = f == &on ? fmt_count(n) + " checks" : "";
    r.time = fmt_duration(f->window_secs);
    r.rate = fmt("%.3f s CPU", f->window_cpu);
    print_row(r);
  }
  {
    // The budget: 1M sessions, 5-minute timeout, each refreshed once a
    // minute. A user's check then fires at most once per 4 minutes (its
    // deadline moves at least 4 minutes with each firing), so 1M / 240 s
    // checks a second, each costing what one check cost here.
    auto per_check = std::max(on.window_cpu - off.window_cpu, 0.0)
                     / static_cast<double>(n);
    auto core_share = per_check * 1e6 / 240.0;
    row r;
    r.name = "X2 expiry budget (1M, 5 min, refresh 1/min)";
    r.n = n;
    r.per_op = fmt_per_op(per_check) + " CPU/check";
    r.rate = fmt("%.2f%% of a core", core_share * 100);
    r.target = "< 5%";
    r.holds = core_share < 0.05 ? "yes" : "**NO**";
    print_row(r);
  }
  print_row(rate_row("X3 idle expiry", n, n, on.expire_secs,
                     reference{0, 0, 0}, " expiries/s"));
}

} // namespace bench

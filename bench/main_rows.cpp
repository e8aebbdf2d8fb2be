#include "bench/main_rows.hpp"

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <thread>

#include <caf/all.hpp>

#include "bench/cluster_peer.hpp"
#include "bench/machine.hpp"
#include "bench/memory_snapshot.hpp"

namespace bench {

namespace {

using std::chrono::duration_cast;
using std::chrono::nanoseconds;

constexpr const char* device = "web";
constexpr const char* content = "hello";

// Baselines: the original module on this 2-core machine class.
const reference ref_w1{280e3, 188e3, 1.0};
const reference ref_w1_mem{784, 823, 0}; // target: <= 1700 B/user
const reference ref_w2{1.96e6, 1.27e6, 2.0};
const reference ref_w3{580e3, 579e3, 2.0};
const reference ref_w4{979e3, 956e3, 2.0};
const reference ref_w5{443e3, 429e3, 10.0};
const reference ref_w6{2.19e6, 1.42e6, 1.0};
constexpr double max_bytes_per_user = 1700;

} // namespace

std::pair<std::vector<std::string>, std::vector<std::string>>
make_ids(size_t n) {
  std::vector<std::string> ids;
  std::vector<std::string> tokens;
  ids.reserve(n);
  tokens.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ids.emplace_back("user" + std::to_string(i));
    tokens.emplace_back("tok" + std::to_string(i) + "-web");
  }
  return {std::move(ids), std::move(tokens)};
}

void main_run::expect_deliveries(uint64_t more, const char* what) {
  expected_deliveries += more;
  if (!c->wait_for(expected_deliveries, wait_timeout))
    fail(std::string{what} + ": timed out waiting for deliveries: "
         + std::to_string(c->deliveries.load()) + " of "
         + std::to_string(expected_deliveries));
}

void main_run::check_exact(const char* what) {
  auto d = c->deliveries.load();
  auto s = c->sessions.load();
  check(d == expected_deliveries,
        std::string{what} + ": pusher counted " + std::to_string(d)
          + " deliveries, expected " + std::to_string(expected_deliveries));
  check(s == expected_deliveries,
        std::string{what} + ": pusher counted " + std::to_string(s)
          + " sessions, expected " + std::to_string(expected_deliveries));
}

void w1_mark_online(main_run& r, size_t rss_start) {
  auto n = r.n;
  auto& sys = r.sys;
  auto& mgr = r.mgr;
  auto& ids = r.ids;
  auto& tokens = r.tokens;
  // The baseline for W1's memory and page faults.
  r.running_base = sys.registry().running();
  release_free_memory();
  memory_snapshot mem_before;
  auto rss_before = mem_before.rss;
  auto faults_before = page_faults();
  progress("N=%zu W1 mark_online", n);
  auto t0 = clk::now();
  for (size_t i = 0; i < n; ++i)
    mgr.mark_online(presence::make_online_user(ids[i], tokens[i], device));
  auto online = value_or_fail(sys, mgr.get_online_count(),
                              "W1 get_online_count");
  auto t1 = clk::now();
  memory_snapshot mem_after;
  auto rss_after = mem_after.rss;
  auto w1_faults = page_faults() - faults_before;
  r.running_after_w1 = sys.registry().running();
  check(online == n, "W1: get_online_count() = " + std::to_string(online)
                       + ", expected " + std::to_string(n));
  auto sessions = value_or_fail(sys, mgr.get_session_count(),
                                "W1 get_session_count");
  check(sessions == n, "W1: get_session_count() = "
                         + std::to_string(sessions) + ", expected "
                         + std::to_string(n));
  print_row(rate_row("W1 mark_online", n, n, seconds_between(t0, t1),
                     ref_w1));
  {
    auto per_user = mem_after.grown_since(mem_before)
                    / static_cast<double>(n);
    row w;
    w.name = "W1 memory";
    w.n = n;
    w.ops = fmt_count(n) + " users";
    w.rate = fmt("%.0f B/user", per_user);
    if (auto base = baseline_at(ref_w1_mem, n)) {
      w.baseline = fmt("%.0f B/user", *base);
      w.vs_base = fmt("%.2fx", per_user / *base);
    }
    w.target = fmt("<= %.0f B/user", max_bytes_per_user);
    w.holds = verdict(n, per_user <= max_bytes_per_user);
    print_row(w);
    r.notes.push_back("N=" + fmt_count(n) + ": RSS " + fmt("%.1f MB", rss_start / 1e6)
                    + " at start (ids built), "
                    + fmt("%.1f MB", rss_before / 1e6) + " before W1, "
                    + fmt("%.1f MB", rss_after / 1e6) + " after W1; "
                    + "block pools " + fmt("%.1f MB", mem_before.pools.mapped / 1e6)
                    + " mapped before W1, "
                    + fmt("%.1f MB", mem_after.pools.mapped / 1e6)
                    + " after; " + std::to_string(w1_faults)
                    + " page faults in W1; "
                    + "running actors " + std::to_string(r.running_base)
                    + " before W1, " + std::to_string(r.running_after_w1)
                    + " after");
  }
}

void w2_is_online(main_run& r) {
  auto n = r.n;
  auto& sys = r.sys;
  auto& mgr = r.mgr;
  auto& ids = r.ids;
  progress("N=%zu W2 is_online", n);
  size_t hits = 0;
  size_t errors = 0;
  auto t0 = clk::now();
  for (size_t i = 0; i < n; ++i) {
    auto x = mgr.is_online(ids[i]);
    if (!x)
      ++errors;
    else if (*x)
      ++hits;
  }
  auto t1 = clk::now();
  check(errors == 0, "W2: " + std::to_string(errors) + " is_online errors");
  check(hits == n, "W2: is_online true for " + std::to_string(hits)
                     + " of " + std::to_string(n));
  {
    auto r = value_or_fail(sys, mgr.is_online("no-such-user"),
                           "W2 is_online(no-such-user)");
    check(!r, "W2: is_online(no-such-user) is true");
  }
  print_row(rate_row("W2 is_online", n, n, seconds_between(t0, t1), ref_w2));
}

void w3_push_to_user(main_run& r) {
  auto n = r.n;
  auto& sys = r.sys;
  auto& mgr = r.mgr;
  auto& ids = r.ids;
  progress("N=%zu W3 push_to_user", n);
  auto t0 = clk::now();
  presence::pending<presence::delivery_report> last;
  for (size_t i = 0; i < n; ++i) {
    if (i + 1 < n)
      mgr.push_to_user(ids[i], content);
    else
      last = mgr.push_to_user(ids[i], content);
  }
  r.expect_deliveries(n, "W3");
  auto t1 = clk::now();
  mgr.sync();
  r.check_exact("W3");
  {
    auto rep = value_or_fail(sys, last.get(), "W3 last push");
    check(rep.users_reached == 1 && rep.sessions_reached == 1
            && rep.failed_pushers.empty(),
          "W3: last push reached " + std::to_string(rep.users_reached)
            + " users, " + std::to_string(rep.sessions_reached)
            + " sessions, " + std::to_string(rep.failed_pushers.size())
            + " failed pushers");
  }
  print_row(rate_row("W3 push_to_user", n, n, seconds_between(t0, t1),
                     ref_w3));
}

void w4_push_to_user_x2(main_run& r) {
  auto n = r.n;
  auto& mgr = r.mgr;
  auto& ids = r.ids;
  progress("N=%zu W4 push_to_user x2 threads", n);
  clk::time_point t0;
  {
    // Both threads exist before the clock starts: the workload is the
    // pushes, not starting threads.
    std::atomic<bool> go{false};
    auto half = n / 2;
    auto push_range = [&](size_t first, size_t last_i) {
      while (!go.load(std::memory_order_acquire))
        std::this_thread::yield();
      for (size_t i = first; i < last_i; ++i)
        mgr.push_to_user(ids[i], content);
    };
    std::thread a{push_range, size_t{0}, half};
    std::thread b{push_range, half, n};
    t0 = clk::now();
    go.store(true, std::memory_order_release);
    a.join();
    b.join();
  }
  r.expect_deliveries(n, "W4");
  auto t1 = clk::now();
  mgr.sync();
  r.check_exact("W4");
  print_row(rate_row("W4 push_to_user x2", n, n, seconds_between(t0, t1),
                     ref_w4));
}

void w5_broadcast(main_run& r) {
  auto n = r.n;
  auto& sys = r.sys;
  auto& mgr = r.mgr;
  progress("N=%zu W5 broadcast", n);
  auto t0 = clk::now();
  auto bc = mgr.broadcast(content);
  r.expect_deliveries(n, "W5");
  auto t1 = clk::now();
  {
    auto rep = value_or_fail(sys, bc.get(), "W5 broadcast");
    check(rep.users_targeted == n && rep.users_reached == n
            && rep.sessions_reached == n && rep.failed_pushers.empty(),
          "W5: report targeted " + std::to_string(rep.users_targeted)
            + ", reached " + std::to_string(rep.users_reached) + " users / "
            + std::to_string(rep.sessions_reached) + " sessions, "
            + std::to_string(rep.failed_pushers.size())
            + " failed pushers; expected " + std::to_string(n));
  }
  mgr.sync();
  r.check_exact("W5");
  {
    auto secs = seconds_between(t0, t1);
    auto r = rate_row("W5 broadcast", n, n, secs, ref_w5, " deliveries/s");
    if (n == 1000000) {
      r.target += ", < 250 ms";
      r.holds = verdict(n, n / secs >= ref_w5.mult * ref_w5.base_1m
                             && secs < 0.25);
    }
    print_row(r);
  }
}

void w6_mark_offline(main_run& r) {
  auto n = r.n;
  auto& sys = r.sys;
  auto& mgr = r.mgr;
  auto& ids = r.ids;
  auto& tokens = r.tokens;
  progress("N=%zu W6 mark_offline", n);
  // Actors the facade may have spawned after W1 (helpers, not users) stay.
  r.running_before_w6 = sys.registry().running();
  auto t0 = clk::now();
  for (size_t i = 0; i < n; ++i)
    mgr.mark_offline(ids[i], tokens[i]);
  auto online = value_or_fail(sys, mgr.get_online_count(), "W6 get_online_count");
  r.w6_end = clk::now();
  check(online == 0, "W6: get_online_count() = " + std::to_string(online)
                       + ", expected 0");
  auto sessions = value_or_fail(sys, mgr.get_session_count(),
                           "W6 get_session_count");
  check(sessions == 0, "W6: get_session_count() = "
                         + std::to_string(sessions) + ", expected 0");
  print_row(rate_row("W6 mark_offline", n, n, seconds_between(t0, r.w6_end),
                     ref_w6));
}

void w6_teardown(main_run& r) {
  auto n = r.n;
  auto& sys = r.sys;
  {
    row w;
    w.name = "W6 teardown";
    w.n = n;
    auto spawned = r.running_after_w1 > r.running_base
                     ? r.running_after_w1 - r.running_base
                     : 0;
    if (spawned == 0) {
      w.rate = "n/a: no actors counted";
      r.notes.push_back("N=" + fmt_count(n)
                      + ": W1 added no actor to registry().running() "
                        "(user actors hidden or not one per user); "
                        "teardown not measurable that way");
    } else {
      auto done_at = r.running_before_w6 > spawned
                       ? r.running_before_w6 - spawned
                       : r.running_base;
      auto deadline = r.w6_end + r.wait_timeout;
      auto now = clk::now();
      while (sys.registry().running() > done_at && now < deadline) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
        now = clk::now();
      }
      auto left = sys.registry().running();
      auto secs = std::max(seconds_between(r.w6_end, now), 1e-6);
      w.ops = fmt_count(spawned) + " actors";
      w.time = fmt_duration(secs);
      w.rate = fmt_rate(static_cast<double>(spawned) / secs, " actors/s");
      w.per_op = fmt_per_op(secs / static_cast<double>(spawned));
      if (left > done_at) {
        fail("W6 teardown: " + std::to_string(left - done_at)
             + " actors still running after " + fmt_duration(secs));
      }
    }
    print_row(w);
    r.notes.push_back("N=" + fmt_count(n) + ": RSS after W6 teardown "
                    + fmt("%.1f MB", rss_bytes() / 1e6));
  }
}

void run_main_rows(size_t n, const options& opts,
                   std::vector<std::string>& notes, bool print_system_info,
                   bool workloads) {
  // A fresh config and actor system per N, so memory figures start clean.
  presence::config cfg;
  parse_caf_options(opts, cfg);
  auto wait_timeout = std::chrono::seconds(opts.timeout_s)
                      + std::chrono::seconds(n / 10000); // 100 us per op
  // Login ids and tokens are built before the memory baseline; both fit in
  // std::string's small buffer, so each costs sizeof(std::string).
  auto [ids, tokens] = make_ids(n);
  auto rss_start = rss_bytes();
  auto sys_ptr = std::make_unique<caf::actor_system>(cfg);
  auto& sys = *sys_ptr;
  if (print_system_info) {
    auto policy = caf::get_or(sys.config(), "scheduler.policy",
                              caf::defaults::scheduler::policy);
    std::printf("- CAF scheduler: policy `%s`, %zu workers, max-throughput "
                "%zu\n",
                caf::to_string(policy).c_str(), sys.scheduler().num_workers(),
                caf::get_or(sys.config(), "scheduler.max-throughput",
                            caf::defaults::scheduler::max_throughput));
    if (auto st = presence::read_settings(sys))
      std::printf("- presence: batch-size %zu, window %zu, batches-in-flight "
                  "%zu, pusher-timeout %.0f ms\n",
                  st->batch_size, st->window, st->batches_in_flight,
                  std::chrono::duration<double, std::milli>(
                    st->pusher_timeout)
                    .count());
    else
      std::printf("- presence: read_settings failed: %s\n",
                  sys.render(st.error()).c_str());
    std::printf("- latency run: %.0f pushes/s offered for %d ms per N, "
                "after %d ms of warm-up at the same rate\n\n",
                opts.latency_rate, opts.latency_ms, opts.latency_warmup_ms);
    print_header();
  }
  if (!workloads)
    return;
  auto c = std::make_shared<counters>();
  auto pusher = sys.spawn(counting_pusher, c);
  auto mgr_ptr = std::make_unique<presence::online_manager>(sys);
  auto& mgr = *mgr_ptr;
  {
    if (auto err = mgr.status())
      fail("online_manager status: " + sys.render(err));
    auto sub = value_or_fail(sys, mgr.register_pusher(pusher).get(),
                             "register_pusher");
    check(sub.status == presence::change_status::subscribed,
          "register_pusher: status " + presence::to_string(sub.status));
    mgr.sync();
    cluster_peer peer{opts, sys, mgr, notes};
    main_run r{n,      opts, notes, sys, mgr, c, ids, tokens, wait_timeout,
               0,      0,    0,     0,   {}};
    w1_mark_online(r, rss_start);
    w2_is_online(r);
    w3_push_to_user(r);
    w4_push_to_user_x2(r);
    w5_broadcast(r);
    latency_rows(r);
    w6_mark_offline(r);
    w6_teardown(r);
    // Every delivery accounted for, none extra.
    mgr.sync();
    r.check_exact("end of run");
    progress("N=%zu done: %" PRIu64 " deliveries in %" PRIu64 " batches", n,
             c->deliveries.load(), c->batches.load());
  }
  // ~online_manager completes the calls in flight and stops the registry;
  // ~actor_system waits for every actor.
  auto s0 = clk::now();
  mgr_ptr.reset();
  auto s1 = clk::now();
  caf::anon_send_exit(pusher, caf::exit_reason::user_shutdown);
  pusher = nullptr;
  sys_ptr.reset();
  auto s2 = clk::now();
  notes.push_back("N=" + fmt_count(n) + ": ~online_manager "
                  + fmt_duration(seconds_between(s0, s1)) + ", ~actor_system "
                  + fmt_duration(seconds_between(s1, s2)));
}

} // namespace bench

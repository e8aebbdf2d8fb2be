// presence_bench: the workloads W1-W6 and the push latency run, all through
// the public facade (presence::online_manager) with a counting pusher, one
// fresh actor system per N. Prints a Markdown table on stdout (progress on
// stderr) and exits non-zero if any count is off.
//
// Usage: presence_bench [N...] [--bench-OPTION=VALUE...] [--caf.option=...]
//   N                       workload sizes (default: 10000 100000 1000000)
//   --bench-latency-ms=MS   length of the paced latency run (default 1500)
//   --bench-latency-warmup-ms=MS  paced pushes before it, not measured
//                           (default 2000; see the latency run)
//   --bench-latency-rate=R  offered pushes per second (default 100000)
//   --bench-timeout-s=S     extra seconds to wait for a completion (default 60)
//   --bench-expiry=0|1      also run the idle-expiry rows X1-X3 (default 1)
//   --bench-stall-check-ms=MS  how long to measure the machine's own stalls
//                           before the runs and after each latency run
//                           (default 2000, 0 skips; see machine_stalls)
//   --bench-latency-pacing=spin|sleep  how the latency sender waits
//                           (default spin)
//   --bench-main=0|1        run W1-W6 and latency (default 1)
//   --bench-mass-logout=0|1 run the mass logout rows M (default 0; see
//                           mass_logout.hpp)
//   --bench-one-user=K      also run the one-user rows U1-U3: K logins with
//                           distinct tokens on one login id, pipelined and
//                           one by one, then K pipelined logouts (default
//                           0: not run)
//   --bench-help            this text
// Every other `--` argument goes to CAF's parser (presence::config), e.g.
// --scheduler.policy=stealing or --presence.batch-size=1024.

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <malloc.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <caf/all.hpp>

#include "presence/presence.hpp"

// Internal, for honest memory figures only (see memory_snapshot).
#include "actors/block_pool.hpp"

#include "bench/mass_logout.hpp"
#include "bench/report.hpp"

// Named, not anonymous: report.hpp declares what other workload files use.
namespace bench {

using clk = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::nanoseconds;

constexpr const char* device = "web";
constexpr const char* content = "hello";

// -- options -------------------------------------------------------------------

struct options {
  std::vector<size_t> ns;
  std::vector<std::string> caf_args; // argv[0] first
  int latency_ms = 1500;
  int latency_warmup_ms = 2000;
  double latency_rate = 100000.0;
  int timeout_s = 60;
  /// Latency sender: sleep until each send time instead of spinning.
  bool sleep_pacing = false;
  /// Run the idle-expiry rows.
  bool expiry = true;
  /// Run W1-W6 and the latency rows.
  bool main_rows = true;
  /// Length of each machine stall check, 0 for none.
  int stall_check_ms = 2000;
  /// Run the mass logout rows (mass_logout.hpp).
  bool mass_logout = false;
  /// Logins for the one-user rows, 0 for none.
  size_t one_user = 0;
};

[[noreturn]] void usage(const char* argv0, int rc) {
  std::fprintf(rc == 0 ? stdout : stderr,
               "usage: %s [N...] [--bench-latency-ms=MS] "
               "[--bench-latency-warmup-ms=MS] "
               "[--bench-latency-rate=R] [--bench-timeout-s=S] "
               "[--bench-main=0|1] [--bench-expiry=0|1] [--bench-one-user=K] "
               "[--bench-mass-logout=0|1] "
               "[--bench-stall-check-ms=MS] [--bench-latency-pacing=spin|sleep] "
               "[--<caf or presence option>=VALUE...]\n"
               "  default N list: 10000 100000 1000000\n",
               argv0);
  std::exit(rc);
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

long long parse_int(const std::string& s, const char* argv0,
                    bool allow_zero = false) {
  long long v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc{} || res.ptr != s.data() + s.size() || v < 0
      || (v == 0 && !allow_zero)) {
    std::fprintf(stderr, "invalid number: %s\n", s.c_str());
    usage(argv0, 2);
  }
  return v;
}

bool parse_flag(const std::string& s, const char* argv0) {
  if (s != "0" && s != "1") {
    std::fprintf(stderr, "expected 0 or 1, got: %s\n", s.c_str());
    usage(argv0, 2);
  }
  return s == "1";
}

options parse_options(int argc, char** argv) {
  options opts;
  opts.caf_args.emplace_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value_of = [&](const char* key) -> std::string {
      auto eq = arg.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "%s needs =VALUE\n", key);
        usage(argv[0], 2);
      }
      return arg.substr(eq + 1);
    };
    if (starts_with(arg, "--bench-help")) {
      usage(argv[0], 0);
    } else if (starts_with(arg, "--bench-latency-warmup-ms")) {
      opts.latency_warmup_ms = static_cast<int>(
        parse_int(value_of("--bench-latency-warmup-ms"), argv[0]));
    } else if (starts_with(arg, "--bench-latency-ms")) {
      opts.latency_ms = static_cast<int>(
        parse_int(value_of("--bench-latency-ms"), argv[0]));
    } else if (starts_with(arg, "--bench-latency-rate")) {
      opts.latency_rate = static_cast<double>(
        parse_int(value_of("--bench-latency-rate"), argv[0]));
    } else if (starts_with(arg, "--bench-latency-pacing")) {
      auto v = value_of("--bench-latency-pacing");
      if (v != "spin" && v != "sleep")
        usage(argv[0], 2);
      opts.sleep_pacing = v == "sleep";
    } else if (starts_with(arg, "--bench-timeout-s")) {
      opts.timeout_s = static_cast<int>(
        parse_int(value_of("--bench-timeout-s"), argv[0]));
    } else if (starts_with(arg, "--bench-stall-check-ms")) {
      opts.stall_check_ms = static_cast<int>(
        parse_int(value_of("--bench-stall-check-ms"), argv[0], true));
    } else if (starts_with(arg, "--bench-one-user")) {
      opts.one_user = static_cast<size_t>(
        parse_int(value_of("--bench-one-user"), argv[0]));
    } else if (starts_with(arg, "--bench-main")) {
      opts.main_rows = parse_flag(value_of("--bench-main"), argv[0]);
    } else if (starts_with(arg, "--bench-mass-logout")) {
      opts.mass_logout = parse_flag(value_of("--bench-mass-logout"), argv[0]);
    } else if (starts_with(arg, "--bench-expiry")) {
      opts.expiry = parse_flag(value_of("--bench-expiry"), argv[0]);
    } else if (starts_with(arg, "--bench-")) {
      std::fprintf(stderr, "unknown option: %s\n", arg.c_str());
      usage(argv[0], 2);
    } else if (starts_with(arg, "-")) {
      opts.caf_args.push_back(arg); // CAF's parser decides
    } else {
      opts.ns.push_back(static_cast<size_t>(parse_int(arg, argv[0])));
    }
  }
  if (opts.ns.empty())
    opts.ns = {10000, 100000, 1000000};
  return opts;
}

// -- machine and process -----------------------------------------------------

std::string cpu_model() {
  std::ifstream in{"/proc/cpuinfo"};
  std::string line;
  while (std::getline(in, line)) {
    if (starts_with(line, "model name")) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto first = line.find_first_not_of(" \t", colon + 1);
        return first == std::string::npos ? "" : line.substr(first);
      }
    }
  }
  return "unknown";
}


/// Hands memory that earlier runs freed back to the kernel, so that resident
/// memory growth measures the run at hand, not reuse of a warm heap (without
/// it, a second actor system in the process appeared to need a quarter of
/// the memory of the first).
void release_free_memory() {
  malloc_trim(0);
}


/// Resident memory plus what the library's block pools hold. The pools keep
/// the blocks of departed users for later ones and never return them
/// (docs/design.md, "Where per-user memory comes from"), so after an earlier
/// run in the same process, resident growth alone would count a user whose
/// actor and sessions reused blocks as ~1.3 KB lighter. `grown_since` counts
/// every block taken at its size and the pools' own resident memory not at
/// all (the part of a fresh chunk no block was cut from yet included).
struct memory_snapshot {
  size_t rss = rss_bytes();
  presence::detail::block_pool::totals pools
    = presence::detail::block_pool::all_pools();

  /// Bytes this process needs more than at `before`.
  double grown_since(const memory_snapshot& before) const {
    auto d = [](size_t now, size_t then) {
      return static_cast<double>(now) - static_cast<double>(then);
    };
    auto outside_pools = d(rss, before.rss)
                         - d(pools.resident, before.pools.resident);
    return std::max(0.0, outside_pools
                           + d(pools.in_use, before.pools.in_use));
  }
};

double seconds_between(clk::time_point a, clk::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}


/// CPU time (user + system, all threads) this process has used.
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& x) { return x.tv_sec + x.tv_usec / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

/// Page faults of this process so far (minor: no disk involved). W1's cost
/// is mostly first-touched memory (docs/performance.md), so the notes say
/// how many it took.
long page_faults() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

int64_t now_ns() {
  return duration_cast<nanoseconds>(clk::now().time_since_epoch()).count();
}

// -- the counting pusher -----------------------------------------------------

/// Shared between the pusher actor (writer) and the benchmark thread (waiter).
struct counters {
  std::atomic<uint64_t> deliveries{0};
  std::atomic<uint64_t> sessions{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> target{UINT64_MAX};
  std::mutex mtx;
  std::condition_variable cv;
  /// While set, the pusher parses each delivery's content as the send time
  /// (steady clock, ns) and records the latency. Written by the pusher only;
  /// read by the benchmark thread once the counter says every delivery of the
  /// run has arrived.
  std::atomic<bool> latency_mode{false};
  std::vector<int64_t> latencies;
  uint64_t unparsable = 0;
  /// Deliveries of the warm-up before the measured run (not recorded).
  uint64_t warmups = 0;
  static constexpr const char* warmup_content = "warm-up";

  void on_batch(const presence::delivery_batch& batch) {
    if (latency_mode.load(std::memory_order_relaxed)) {
      auto received = now_ns();
      for (auto& d : batch.deliveries) {
        auto& text = batch.message_of(d).content;
        if (text == warmup_content) {
          ++warmups;
          continue;
        }
        int64_t sent = 0;
        auto res = std::from_chars(text.data(), text.data() + text.size(),
                                   sent);
        if (res.ec == std::errc{})
          latencies.push_back(received - sent);
        else
          ++unparsable;
      }
    }
    batches.fetch_add(1);
    sessions.fetch_add(batch.sessions.size());
    auto total = deliveries.fetch_add(batch.deliveries.size())
                 + batch.deliveries.size();
    if (total >= target.load()) {
      std::lock_guard<std::mutex> guard{mtx};
      cv.notify_all();
    }
  }

  /// Blocks until `expected` deliveries were counted or `timeout` passed.
  bool wait_for(uint64_t expected, std::chrono::seconds timeout) {
    target.store(expected);
    bool ok;
    {
      std::unique_lock<std::mutex> guard{mtx};
      ok = cv.wait_for(guard, timeout,
                       [&] { return deliveries.load() >= expected; });
    }
    target.store(UINT64_MAX);
    return ok;
  }
};

presence::pusher_actor::behavior_type
counting_pusher(std::shared_ptr<counters> c) {
  return {
    [c](presence::deliver_atom, const presence::delivery_batch& batch) {
      c->on_batch(batch);
    },
  };
}

// -- figures to beat -----------------------------------------------------------

struct reference {
  double base_100k; // ops/s (or B/user) of the original module at 100k
  double base_1m;   // ... at 1M
  double mult;      // target factor at 1M (rates: >= mult * base)
};

// Baselines: the original module on this 2-core machine class.
const reference ref_w1{280e3, 188e3, 1.0};
const reference ref_w1_mem{784, 823, 0}; // target: <= 1700 B/user
const reference ref_w2{1.96e6, 1.27e6, 2.0};
const reference ref_w3{580e3, 579e3, 2.0};
const reference ref_w4{979e3, 956e3, 2.0};
const reference ref_w5{443e3, 429e3, 10.0};
const reference ref_w6{2.19e6, 1.42e6, 1.0};
constexpr double max_bytes_per_user = 1700;
constexpr double target_p50_us = 20;
constexpr double target_p99_us = 200;

// -- formatting ------------------------------------------------------------------

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

/// Targets are set at 1M; at 100k the same factor against the 100k baseline
/// is shown in parentheses, for information.
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

/// A throughput row: `ops` operations in `secs` seconds.
row rate_row(const std::string& name, size_t n, size_t ops, double secs,
             const reference& ref, const char* unit = "/s") {
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

// -- failures --------------------------------------------------------------------

/// Any count off (or a timeout): report and exit at once. No unwinding, since
/// the destructors of a stuck online_manager or actor_system would block.
size_t current_n = 0;

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

template <class T>
T value_or_fail(caf::actor_system& sys, caf::expected<T> x,
                const std::string& what) {
  if (!x)
    fail(what + ": " + sys.render(x.error()));
  return std::move(*x);
}

void progress(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::fprintf(stderr, "[bench] ");
  std::vfprintf(stderr, format, args);
  std::fprintf(stderr, "\n");
  va_end(args);
}

// -- one N -----------------------------------------------------------------------

/// Login ids `user{i}` and tokens `tok{i}-web`, as the workloads define them.
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

/// Applies the `--caf.*` / `--presence.*` arguments to a fresh config.
void parse_caf_options(const options& opts, presence::config& cfg) {
  std::vector<char*> args;
  for (auto& a : opts.caf_args)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  if (auto err = cfg.parse(static_cast<int>(args.size() - 1), args.data())) {
    std::fprintf(stderr, "invalid options: %s\n",
                 caf::actor_system_config::render(err).c_str());
    std::exit(2);
  }
  if (cfg.cli_helptext_printed)
    std::exit(0);
}

void run_one(size_t n, const options& opts, std::vector<std::string>& notes,
             bool print_system_info, bool workloads = true) {
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
  uint64_t expected_deliveries = 0;
  auto expect_deliveries = [&](uint64_t more, const char* what) {
    expected_deliveries += more;
    if (!c->wait_for(expected_deliveries, wait_timeout))
      fail(std::string{what} + ": timed out waiting for deliveries: "
           + std::to_string(c->deliveries.load()) + " of "
           + std::to_string(expected_deliveries));
  };
  // After a push workload: no more and no fewer deliveries than expected, and
  // one session per delivery (every user has exactly one session).
  auto check_exact = [&](const char* what) {
    auto d = c->deliveries.load();
    auto s = c->sessions.load();
    check(d == expected_deliveries,
          std::string{what} + ": pusher counted " + std::to_string(d)
            + " deliveries, expected " + std::to_string(expected_deliveries));
    check(s == expected_deliveries,
          std::string{what} + ": pusher counted " + std::to_string(s)
            + " sessions, expected " + std::to_string(expected_deliveries));
  };
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
    auto running_base = sys.registry().running();
    release_free_memory();
    memory_snapshot mem_before;
    auto rss_before = mem_before.rss;
    auto faults_before = page_faults();

    // -- W1 mark_online ---------------------------------------------------------
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
    auto running_after_w1 = sys.registry().running();
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
      row r;
      r.name = "W1 memory";
      r.n = n;
      r.ops = fmt_count(n) + " users";
      r.rate = fmt("%.0f B/user", per_user);
      if (auto base = baseline_at(ref_w1_mem, n)) {
        r.baseline = fmt("%.0f B/user", *base);
        r.vs_base = fmt("%.2fx", per_user / *base);
      }
      r.target = fmt("<= %.0f B/user", max_bytes_per_user);
      r.holds = verdict(n, per_user <= max_bytes_per_user);
      print_row(r);
      notes.push_back("N=" + fmt_count(n) + ": RSS " + fmt("%.1f MB", rss_start / 1e6)
                      + " at start (ids built), "
                      + fmt("%.1f MB", rss_before / 1e6) + " before W1, "
                      + fmt("%.1f MB", rss_after / 1e6) + " after W1; "
                      + "block pools " + fmt("%.1f MB", mem_before.pools.mapped / 1e6)
                      + " mapped before W1, "
                      + fmt("%.1f MB", mem_after.pools.mapped / 1e6)
                      + " after; " + std::to_string(w1_faults)
                      + " page faults in W1; "
                      + "running actors " + std::to_string(running_base)
                      + " before W1, " + std::to_string(running_after_w1)
                      + " after");
    }

    // -- W2 is_online -------------------------------------------------------------
    progress("N=%zu W2 is_online", n);
    size_t hits = 0;
    size_t errors = 0;
    t0 = clk::now();
    for (size_t i = 0; i < n; ++i) {
      auto r = mgr.is_online(ids[i]);
      if (!r)
        ++errors;
      else if (*r)
        ++hits;
    }
    t1 = clk::now();
    check(errors == 0, "W2: " + std::to_string(errors) + " is_online errors");
    check(hits == n, "W2: is_online true for " + std::to_string(hits)
                       + " of " + std::to_string(n));
    {
      auto r = value_or_fail(sys, mgr.is_online("no-such-user"),
                             "W2 is_online(no-such-user)");
      check(!r, "W2: is_online(no-such-user) is true");
    }
    print_row(rate_row("W2 is_online", n, n, seconds_between(t0, t1), ref_w2));

    // -- W3 push_to_user, one thread -------------------------------------------
    progress("N=%zu W3 push_to_user", n);
    t0 = clk::now();
    presence::pending<presence::delivery_report> last;
    for (size_t i = 0; i < n; ++i) {
      if (i + 1 < n)
        mgr.push_to_user(ids[i], content);
      else
        last = mgr.push_to_user(ids[i], content);
    }
    expect_deliveries(n, "W3");
    t1 = clk::now();
    mgr.sync();
    check_exact("W3");
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

    // -- W4 push_to_user, two threads -------------------------------------------
    progress("N=%zu W4 push_to_user x2 threads", n);
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
    expect_deliveries(n, "W4");
    t1 = clk::now();
    mgr.sync();
    check_exact("W4");
    print_row(rate_row("W4 push_to_user x2", n, n, seconds_between(t0, t1),
                       ref_w4));

    // -- W5 broadcast -------------------------------------------------------------
    progress("N=%zu W5 broadcast", n);
    t0 = clk::now();
    auto bc = mgr.broadcast(content);
    expect_deliveries(n, "W5");
    t1 = clk::now();
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
    check_exact("W5");
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

    // -- push latency at a steady offered load ---------------------------------
    {
      progress("N=%zu push latency, %.0f/s for %d ms after %d ms warm-up", n,
               opts.latency_rate, opts.latency_ms, opts.latency_warmup_ms);
      auto count = static_cast<size_t>(opts.latency_rate * opts.latency_ms
                                       / 1000.0);
      if (count == 0)
        count = 1;
      // The offered load is steady before it is measured: the sender runs
      // at the same rate for the warm-up first. In the first seconds of
      // load the workers poll less (the process used ~70% of the CPU it
      // uses from the third second on, in 500 ms slices) and the p99 at 1M
      // users was 230-280 us against 90-180 us afterwards
      // (docs/performance.md).
      auto warmup = static_cast<size_t>(opts.latency_rate
                                        * opts.latency_warmup_ms / 1000.0);
      // Written once here so the pusher does not fault its pages in while it
      // records (~300 faults of several us each at 150k samples, which
      // landed in the very latencies being measured).
      c->latencies.assign(count, 0);
      c->latencies.clear();
      c->unparsable = 0;
      c->warmups = 0;
      c->latency_mode.store(true);
      if (opts.sleep_pacing)
        prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); // precise sleeps
      auto interval = nanoseconds(
        static_cast<int64_t>(1e9 / opts.latency_rate));
      // Spread over the users: a stride coprime to most N.
      const size_t stride = 7919;
      auto start = clk::now() + std::chrono::milliseconds(1);
      int64_t max_lag_ns = 0;
      clk::time_point first_send;
      clk::time_point last_send;
      for (size_t i = 0; i < warmup + count; ++i) {
        auto due = start + interval * static_cast<int64_t>(i);
        auto now = clk::now();
        if (opts.sleep_pacing) {
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
          mgr.push_to_user(ids[(i * stride) % n], c->warmup_content);
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
      expect_deliveries(warmup + count, "latency run");
      mgr.sync();
      c->latency_mode.store(false);
      check_exact("latency run");
      check(c->unparsable == 0, "latency run: "
                                  + std::to_string(c->unparsable)
                                  + " deliveries without a timestamp");
      check(c->warmups == warmup,
            "latency run: " + std::to_string(c->warmups)
              + " warm-up deliveries, expected " + std::to_string(warmup));
      check(c->latencies.size() == count,
            "latency run: " + std::to_string(c->latencies.size())
              + " samples, expected " + std::to_string(count));
      auto lat = c->latencies;
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
      notes.push_back("N=" + fmt_count(n) + ": latency run offered "
                      + fmt_rate(achieved) + " (target "
                      + fmt_rate(opts.latency_rate) + "), sender max lag "
                      + fmt_duration(max_lag_ns / 1e9) + "; p90 "
                      + fmt("%.1f us", pct(0.90)) + ", p99.9 "
                      + fmt("%.1f us", pct(0.999)) + ", max "
                      + fmt("%.1f us", lat.back() / 1e3));
      // Right after the run, while the machine is in the same state.
      if (opts.stall_check_ms > 0)
        notes.push_back("N=" + fmt_count(n) + ": machine stalls after the "
                        "latency run: "
                        + machine_stalls(opts.stall_check_ms));
    }

    // -- W6 mark_offline ----------------------------------------------------------
    progress("N=%zu W6 mark_offline", n);
    // Actors the facade may have spawned after W1 (helpers, not users) stay.
    auto running_before_w6 = sys.registry().running();
    t0 = clk::now();
    for (size_t i = 0; i < n; ++i)
      mgr.mark_offline(ids[i], tokens[i]);
    online = value_or_fail(sys, mgr.get_online_count(), "W6 get_online_count");
    t1 = clk::now();
    check(online == 0, "W6: get_online_count() = " + std::to_string(online)
                         + ", expected 0");
    sessions = value_or_fail(sys, mgr.get_session_count(),
                             "W6 get_session_count");
    check(sessions == 0, "W6: get_session_count() = "
                           + std::to_string(sessions) + ", expected 0");
    print_row(rate_row("W6 mark_offline", n, n, seconds_between(t0, t1),
                       ref_w6));

    // -- W6 teardown: until the user actors are gone ---------------------------
    {
      row r;
      r.name = "W6 teardown";
      r.n = n;
      auto spawned = running_after_w1 > running_base
                       ? running_after_w1 - running_base
                       : 0;
      if (spawned == 0) {
        r.rate = "n/a: no actors counted";
        notes.push_back("N=" + fmt_count(n)
                        + ": W1 added no actor to registry().running() "
                          "(user actors hidden or not one per user); "
                          "teardown not measurable that way");
      } else {
        auto done_at = running_before_w6 > spawned
                         ? running_before_w6 - spawned
                         : running_base;
        auto deadline = t1 + wait_timeout;
        auto now = clk::now();
        while (sys.registry().running() > done_at && now < deadline) {
          std::this_thread::sleep_for(std::chrono::microseconds(500));
          now = clk::now();
        }
        auto left = sys.registry().running();
        auto secs = std::max(seconds_between(t1, now), 1e-6);
        r.ops = fmt_count(spawned) + " actors";
        r.time = fmt_duration(secs);
        r.rate = fmt_rate(static_cast<double>(spawned) / secs, " actors/s");
        r.per_op = fmt_per_op(secs / static_cast<double>(spawned));
        if (left > done_at) {
          fail("W6 teardown: " + std::to_string(left - done_at)
               + " actors still running after " + fmt_duration(secs));
        }
      }
      print_row(r);
      notes.push_back("N=" + fmt_count(n) + ": RSS after W6 teardown "
                      + fmt("%.1f MB", rss_bytes() / 1e6));
    }
    // Every delivery accounted for, none extra.
    mgr.sync();
    check_exact("end of run");
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


// -- idle expiry: X1-X3 ------------------------------------------------------------

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

void run_expiry(size_t n, const options& opts) {
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

/// U1-U3: `k` logins with distinct tokens on one login id through the
/// facade, all issued before any answer (U1) and each waited for (U2). Every
/// login but the first waits for the user's actor, so pipelined calls park
/// behind each other; pipelined must not be slower than one by one. U3 then
/// logs U1's sessions out one by one token, oldest first, pipelined.
void run_one_user(size_t k, const options& opts) {
  presence::config cfg;
  parse_caf_options(opts, cfg);
  caf::actor_system sys{cfg};
  double secs[3] = {0, 0, 0};
  {
    presence::online_manager mgr{sys};
    if (auto err = mgr.status())
      fail("one user: online_manager status: " + sys.render(err));
    for (int pass = 0; pass < 2; ++pass) {
      auto login_id = std::string{pass == 0 ? "pipelined" : "sequential"};
      progress("U%d one user, %zu logins %s", pass + 1, k, login_id.c_str());
      auto t0 = clk::now();
      for (size_t i = 0; i < k; ++i) {
        auto p = mgr.mark_online(presence::make_online_user(
          login_id, "t" + std::to_string(i), device));
        if (pass == 1)
          value_or_fail(sys, p.get(), "U2 mark_online");
      }
      auto sessions = value_or_fail(sys, mgr.get_session_count(),
                                    "U session count");
      secs[pass] = seconds_between(t0, clk::now());
      check(sessions == k * (pass + 1),
            "U: get_session_count() = " + std::to_string(sessions));
    }
    progress("U3 one user, %zu logouts", k);
    auto t0 = clk::now();
    for (size_t i = 0; i < k; ++i)
      mgr.mark_offline("pipelined", "t" + std::to_string(i));
    auto sessions = value_or_fail(sys, mgr.get_session_count(),
                                  "U3 session count");
    secs[2] = seconds_between(t0, clk::now());
    check(sessions == k, "U3: get_session_count() = "
                           + std::to_string(sessions));
  }
  print_row(rate_row("U1 one user, pipelined mark_online", k, k, secs[0],
                     reference{0, 0, 0}));
  print_row(rate_row("U2 one user, mark_online one by one", k, k, secs[1],
                     reference{0, 0, 0}));
  print_row(rate_row("U3 one user, pipelined mark_offline", k, k, secs[2],
                     reference{0, 0, 0}));
}

/// Whether the kernel runs DAMON monitors, and what they do. A kdamond
/// with a pageout scheme ran for up to 33 ms at a stretch on one of this
/// machine class's two cores during the latency run, which alone puts the
/// p99 in milliseconds (docs/performance.md): say whether this run had one.
std::string damon_state() {
  const std::string dir = "/sys/kernel/mm/damon/admin/kdamonds/";
  auto read = [](const std::string& path) {
    std::ifstream in{path};
    std::string line;
    std::getline(in, line);
    return line;
  };
  auto count = read(dir + "nr_kdamonds");
  if (count.empty())
    return "none found";
  std::string result;
  int on = 0;
  for (int i = 0; i < std::atoi(count.c_str()); ++i) {
    auto k = dir + std::to_string(i) + "/";
    if (read(k + "state") != "on")
      continue;
    ++on;
    auto ctx = k + "contexts/0/";
    result += (result.empty() ? "" : "; ") + std::string{"kdamond "}
              + std::to_string(i) + " on (" + read(ctx + "operations") + ", "
              + read(ctx + "schemes/0/action") + ")";
  }
  return on == 0 ? "off" : result;
}

} // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  auto opts = parse_options(argc, argv);
  std::printf("# presence benchmark\n\n");
  std::printf("- machine: %zu CPUs (nproc), %s\n", cpus_available(),
              cpu_model().c_str());
  {
    // The allocator settings change the results (docs/performance.md): say
    // which ones this run had.
    auto tunables = std::getenv("GLIBC_TUNABLES");
    std::printf("- GLIBC_TUNABLES: %s\n",
                tunables != nullptr && *tunables != '\0' ? tunables
                                                          : "(not set)");
  }
  std::printf("- kernel memory monitor (DAMON): %s\n", damon_state().c_str());
  if (opts.stall_check_ms > 0)
    std::printf("- machine stalls before the runs: %s\n",
                machine_stalls(opts.stall_check_ms).c_str());
  std::printf("- CAF %d.%d.%d, presence %s\n", CAF_VERSION / 10000,
              CAF_VERSION / 100 % 100, CAF_VERSION % 100, "0.1.0");
  std::vector<std::string> notes;
  bool first = true;
  for (auto n : opts.ns) {
    current_n = n;
    auto t0 = clk::now();
    if (opts.main_rows || first)
      run_one(n, opts, notes, first, opts.main_rows);
    if (opts.mass_logout) {
      presence::config cfg;
      parse_caf_options(opts, cfg);
      run_mass_logout(n, cfg, opts.stall_check_ms, opts.timeout_s, notes);
    }
    if (opts.expiry)
      run_expiry(n, opts);
    notes.push_back("N=" + fmt_count(n) + ": whole run incl. setup and "
                    "shutdown " + fmt_duration(seconds_between(t0, clk::now())));
    first = false;
  }
  if (opts.one_user > 0)
    run_one_user(opts.one_user, opts);
  std::printf("\nNotes:\n");
  for (auto& note : notes)
    std::printf("- %s\n", note.c_str());
  std::printf("\nBaselines are the original module on a 2-core machine of "
              "this class; targets apply at N=1,000,000 (at 100,000 the same "
              "factor is shown in parentheses for information). All counts "
              "exact.\n");
  return 0;
}

// presence_soak: a fixed online population churned and pushed to through the
// public facade for minutes, with pushers that fail, die and stall. Checks
// the end state exactly against its own model and samples resident memory
// every few seconds. Run it with bench/soak (Release build in build-bench/).
//
// Usage: presence_soak [--OPTION=VALUE...] [--caf or presence option...]
//   --minutes=M             whole run, ramp included (default 10)
//   --users=N               online population after the ramp, which the
//                           churn keeps (200000); a tenth more ids exist
//   --changes-per-minute=R  offered session changes (100000)
//   --pushes-per-second=R   offered pushes (50000)
//   --threads=T             churn threads (4); --push-threads=T (2)
//   --fail-rate=F --stall-rate=F  share of the flaky pusher's batches it
//                           fails or never answers (0.01, 0.01)
//   --die-every-s=S         the mortal pusher quits this often (20)
//   --broadcast-every-s=S   a broadcast this often, 0 for none (30)
//   --sample-every-s=S      RSS sample interval (10)
//   --rss-reference-s=S     the RSS verdict compares later samples with the
//                           one at this time (120)
//   --stall-check-ms=MS     machine stall check before and after (2000, 0 off)
//   --drain-timeout-s=S     how long open calls may take at the end (120)
//   --seed=N                (1)
//   --short                 a few seconds at a small population (ctest smoke):
//                           later options still override
// Other `--` arguments go to CAF's parser (presence::config); the pusher
// timeout defaults to 200 ms here (--presence.pusher-timeout).
// Exit status: 0 if the end state is exact and every change was answered as
// the model predicted; rates, times and memory never decide it.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "presence/presence.hpp"

#include "bench/machine.hpp"
#include "soak_load.hpp"
#include "soak_machine.hpp"
#include "soak_options.hpp"
#include "soak_pushers.hpp"

namespace {

using soak::clk;
using soak::options;
using soak::usage_error;

double secs(clk::duration d) {
  return std::chrono::duration<double>(d).count();
}

clk::duration from_secs(double s) {
  return std::chrono::duration_cast<clk::duration>(
    std::chrono::duration<double>(s));
}

struct sample {
  double t;
  size_t rss;
  double load;
  uint64_t changes_done;
  uint64_t pushes_done;
  int64_t users;
  int64_t sessions;
  uint64_t stalled;
  size_t heap;
  size_t pools;
};

void print_sample(const sample& s, const sample* prev, const char* note) {
  double dt = prev != nullptr ? s.t - prev->t : 0;
  auto rate = [&](uint64_t now, uint64_t then) {
    return dt > 0 ? static_cast<double>(now - then) / dt : 0.0;
  };
  std::printf("| %7.1f | %9.1f | %8.1f | %7.1f | %5.2f | %9.0f | %9.0f | %7" PRId64
              " | %7" PRId64 " | %8" PRIu64 " | %s\n",
              s.t, static_cast<double>(s.rss) / 1e6,
              static_cast<double>(s.heap) / 1e6,
              static_cast<double>(s.pools) / 1e6, s.load,
              prev ? rate(s.changes_done, prev->changes_done) * 60 : 0.0,
              prev ? rate(s.pushes_done, prev->pushes_done) : 0.0, s.users,
              s.sessions, s.stalled, note);
  std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
  auto opts = soak::parse_options(argc, argv);
  presence::config cfg;
  {
    std::vector<char*> args;
    for (auto& a : opts.caf_args)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (auto err = cfg.parse(static_cast<int>(args.size() - 1), args.data()))
      usage_error("invalid options: "
                  + caf::actor_system_config::render(err));
    if (cfg.cli_helptext_printed)
      return 0;
  }
  std::printf("# presence soak\n\n");
  std::printf("- command: ");
  for (int i = 0; i < argc; ++i)
    std::printf("%s%s", i > 0 ? " " : "", argv[i]);
  std::printf("\n- %u CPUs, load average %.2f at start\n",
              std::thread::hardware_concurrency(), soak::load_average());
  if (opts.stall_check_ms > 0)
    std::printf("- machine stalls before: %s\n",
                bench::machine_stalls(opts.stall_check_ms).c_str());
  std::printf("- offered: %zu users online (of %zu login ids; every second "
              "one with two sessions), %.0f session changes/min over %zu "
              "threads, %.0f pushes/s over %zu threads, broadcast every "
              "%.0f s; %.1f minutes\n",
              opts.load.users,
              opts.load.users + std::max<size_t>(opts.load.users / 10, 1),
              opts.changes_per_minute,
              opts.load.churn_threads, opts.load.pushes_per_s,
              opts.load.push_threads, opts.load.broadcast_every_s,
              opts.minutes);
  std::printf("- pushers: one good; one flaky (fails %.2f%%, stalls %.2f%% "
              "of its batches); one mortal, replaced every %.0f s\n",
              opts.fail_rate * 100, opts.stall_rate * 100, opts.die_every_s);
  std::fflush(stdout);

  caf::actor_system sys{cfg};
  auto st = presence::read_settings(sys);
  if (!st)
    usage_error("read_settings: " + sys.render(st.error()));
  std::printf("- presence: pusher-timeout %.0f ms, window %zu, batch-size "
              "%zu; scheduler %s, %zu workers\n",
              std::chrono::duration<double, std::milli>(st->pusher_timeout)
                .count(),
              st->window, st->batch_size,
              caf::to_string(caf::get_or(sys.config(), "scheduler.policy",
                                         caf::defaults::scheduler::policy))
                .c_str(),
              sys.scheduler().num_workers());

  std::vector<std::string> ids;
  auto all_ids = opts.load.users + std::max<size_t>(opts.load.users / 10, 1);
  ids.reserve(all_ids);
  for (size_t i = 0; i < all_ids; ++i)
    ids.push_back(soak::login_id_of(i));

  auto mgr = std::make_unique<presence::online_manager>(sys);
  if (auto err = mgr->status())
    usage_error("online_manager: " + sys.render(err));
  auto good_counts = std::make_shared<soak::pusher_counts>();
  auto flaky_counts = std::make_shared<soak::pusher_counts>();
  auto mortal_counts = std::make_shared<soak::pusher_counts>();
  auto good = soak::spawn_good_pusher(sys, good_counts);
  auto flaky = soak::spawn_flaky_pusher(sys, flaky_counts, opts.fail_rate,
                                        opts.stall_rate, opts.load.seed);
  auto sw = std::make_shared<soak::mortal_switch>();
  auto mortal = soak::spawn_mortal_pusher(sys, mortal_counts, sw);
  for (auto& p : {good, flaky, mortal})
    if (auto r = mgr->register_pusher(p).get(); !r)
      usage_error("register_pusher: " + sys.render(r.error()));

  soak::progress pr;
  std::vector<std::unique_ptr<soak::churn_worker>> churners;
  std::vector<std::unique_ptr<soak::push_worker>> pushers;
  for (size_t k = 0; k < opts.load.churn_threads; ++k)
    churners.push_back(std::make_unique<soak::churn_worker>(
      *mgr, sys, ids, k, opts.load, pr));
  for (size_t k = 0; k < opts.load.push_threads; ++k)
    pushers.push_back(std::make_unique<soak::push_worker>(*mgr, sys, ids, k,
                                                          opts.load, pr));

  std::printf("\n| t (s) | RSS (MB) | heap (MB) | pools (MB) | load "
              "| changes/min | pushes/s | users | sessions | stalled | note\n"
              "|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::vector<sample> series;
  auto t0 = clk::now();
  auto take = [&](const char* note) {
    sample s{secs(clk::now() - t0), bench::rss_bytes(), soak::load_average(),
             pr.changes_done.load(), pr.pushes_done.load(),
             pr.model_users.load(), pr.model_sessions.load(),
             flaky_counts->stalled.load(), soak::heap_in_use(),
             soak::pools_in_use()};
    print_sample(s, series.empty() ? nullptr : &series.back(), note);
    series.push_back(s);
  };
  take("start");

  // -- ramp: every user online with one session -------------------------------
  {
    std::vector<std::thread> ts;
    auto deadline = t0 + std::chrono::seconds(opts.drain_timeout_s);
    std::atomic<bool> ramp_ok{true};
    for (auto& w : churners)
      ts.emplace_back([&, w = w.get()] {
        w->ramp();
        if (!w->drain(deadline))
          ramp_ok = false;
      });
    for (auto& t : ts)
      t.join();
    if (!ramp_ok) {
      std::printf("\nverdict: the ramp's calls did not complete within %d s\n",
                  opts.drain_timeout_s);
      std::fflush(stdout);
      std::_Exit(1);
    }
  }
  auto ramp_s = secs(clk::now() - t0);
  auto online_after_ramp = mgr->get_online_count();
  // The ramp's own calls are not churn.
  pr.changes_done = 0;
  take("population online");

  // -- load -------------------------------------------------------------------
  auto load_start = clk::now();
  auto load_end = t0 + from_secs(opts.minutes * 60);
  auto drain_deadline = load_end + std::chrono::seconds(opts.drain_timeout_s);
  std::atomic<size_t> running{churners.size() + pushers.size()};
  std::atomic<bool> drained{true};
  std::vector<std::thread> ts;
  for (auto& w : churners)
    ts.emplace_back([&, w = w.get()] {
      w->run(load_start, load_end);
      if (!w->drain(drain_deadline))
        drained = false;
      --running;
    });
  for (auto& w : pushers)
    ts.emplace_back([&, w = w.get()] {
      w->run(load_start, load_end);
      if (!w->drain(drain_deadline))
        drained = false;
      --running;
    });
  auto next_sample = t0 + from_secs(opts.sample_every_s);
  while (next_sample <= clk::now())
    next_sample += from_secs(opts.sample_every_s);
  auto next_death = load_start + from_secs(opts.die_every_s);
  clk::time_point told_to_die{};
  uint64_t deaths = 0;
  uint64_t killed = 0;
  uint64_t at_end_changes = 0;
  uint64_t at_end_pushes = 0;
  bool end_seen = false;
  while (running.load() > 0) {
    auto now = clk::now();
    if (!end_seen && now >= load_end) {
      end_seen = true;
      at_end_changes = pr.changes_done.load();
      at_end_pushes = pr.pushes_done.load();
    }
    if (now >= next_sample) {
      take(end_seen ? "draining" : "");
      next_sample += from_secs(opts.sample_every_s);
    }
    // The mortal pusher: told to die, then replaced by a fresh one. One
    // that gets no batch for 5 s is killed from outside instead.
    if (!end_seen && opts.die_every_s > 0 && now >= next_death
        && told_to_die == clk::time_point{}) {
      sw->die = true;
      told_to_die = now;
    }
    if (told_to_die != clk::time_point{}
        && (sw->dead.load() || now - told_to_die > std::chrono::seconds(5))) {
      if (!sw->dead.load()) {
        caf::anon_send_exit(mortal, caf::exit_reason::kill);
        ++killed;
      }
      ++deaths;
      sw = std::make_shared<soak::mortal_switch>();
      mortal = soak::spawn_mortal_pusher(sys, mortal_counts, sw);
      mgr->register_pusher(mortal); // its outcome shows in later reports
      told_to_die = clk::time_point{};
      next_death = now + from_secs(opts.die_every_s);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& t : ts)
    t.join();
  if (!end_seen) {
    at_end_changes = pr.changes_done.load();
    at_end_pushes = pr.pushes_done.load();
  }
  auto load_s = secs(load_end - load_start);
  auto all_done_s = secs(clk::now() - load_end);
  take("all calls complete");
  auto final_rss = series.back().rss;
  if (!drained) {
    std::printf("\nverdict: open calls did not complete within %d s after the "
                "load: exact end state: no (hung)\n",
                opts.drain_timeout_s);
    std::fflush(stdout);
    std::_Exit(1);
  }

  // -- end state --------------------------------------------------------------
  mgr->sync();
  size_t want_online = 0;
  size_t want_sessions = 0;
  size_t bad_users = 0;
  uint64_t unexpected = 0;
  std::vector<std::string> diffs;
  soak::tally outcomes;
  for (auto& w : churners) {
    want_online += w->online_users();
    want_sessions += w->sessions();
    bad_users += w->check(diffs);
    unexpected += w->unexpected();
    for (auto& [k, v] : w->outcomes())
      outcomes[k] += v;
  }
  uint64_t broadcasts = 0;
  for (auto& w : pushers) {
    broadcasts += w->broadcasts();
    for (auto& [k, v] : w->outcomes())
      outcomes[k] += v;
  }
  auto online = mgr->get_online_count();
  auto sessions = mgr->get_session_count();
  bool exact = online && *online == want_online && sessions
               && *sessions == want_sessions && bad_users == 0;

  // -- report -----------------------------------------------------------------
  auto show = [&](const caf::expected<size_t>& x) {
    return x ? std::to_string(*x) : sys.render(x.error());
  };
  std::printf("\n## Figures\n\n");
  std::printf("- ramp: %zu users online after %.1f s (get_online_count: "
              "%s)\n",
              opts.load.users, ramp_s, show(online_after_ramp).c_str());
  std::printf("- load phase: %.1f s; open calls all complete %.2f s after "
              "it\n",
              load_s, all_done_s);
  std::printf("- session changes: offered %.0f/min, issued %" PRIu64
              " (%.0f/min), completed in the load phase %.0f/min\n",
              opts.changes_per_minute, pr.changes_issued.load(),
              static_cast<double>(pr.changes_issued.load()) / load_s * 60,
              static_cast<double>(at_end_changes) / load_s * 60);
  std::printf("- users gone offline (their actors retire): %" PRIu64
              " (%.0f/s)\n",
              pr.departures.load(),
              static_cast<double>(pr.departures.load()) / load_s);
  std::printf("- pushes: offered %.0f/s, issued %" PRIu64
              " (%.0f/s, %" PRIu64 " broadcasts), completed in the load "
              "phase %.0f/s\n",
              opts.load.pushes_per_s, pr.pushes_issued.load(),
              static_cast<double>(pr.pushes_issued.load()) / load_s,
              broadcasts, static_cast<double>(at_end_pushes) / load_s);
  auto pusher_line = [](const char* name, const soak::pusher_counts& c) {
    std::printf("- %s pusher: %" PRIu64 " batches, %" PRIu64
                " deliveries, %" PRIu64 " failed, %" PRIu64
                " stalled, %" PRIu64 " held when it died\n",
                name, c.batches.load(), c.deliveries.load(), c.failed.load(),
                c.stalled.load(), c.died_holding.load());
  };
  pusher_line("good", *good_counts);
  pusher_line("flaky", *flaky_counts);
  pusher_line("mortal", *mortal_counts);
  std::printf("- mortal pusher deaths: %" PRIu64 " (%" PRIu64
              " killed from outside after 5 s without a batch)\n",
              deaths, killed);
  std::printf("- outcomes by kind:%s\n", outcomes.empty() ? " none" : "");
  for (auto& [k, v] : outcomes)
    std::printf("  - %s: %" PRIu64 "\n", k.c_str(), v);
  std::printf("- end state: online %s (model %zu), sessions %s (model %zu), "
              "%zu users differ\n",
              show(online).c_str(), want_online, show(sessions).c_str(),
              want_sessions, bad_users);
  for (auto& d : diffs)
    std::printf("  - %s\n", d.c_str());
  std::printf("- load average at the end %.2f\n", soak::load_average());
  if (opts.stall_check_ms > 0)
    std::printf("- machine stalls after: %s\n",
                bench::machine_stalls(opts.stall_check_ms).c_str());

  // RSS: every sample from the reference time on (the last one taken once
  // every call completed) against the sample at the reference time.
  std::string rss_verdict = "n/a (run shorter than the reference time)";
  auto ref = std::find_if(series.begin(), series.end(), [&](const sample& s) {
    return s.t >= opts.rss_reference_s - 0.5;
  });
  if (ref != series.end() && ref + 1 != series.end()) {
    double lo = 0;
    double hi = 0;
    for (auto i = ref + 1; i != series.end(); ++i) {
      auto d = static_cast<double>(i->rss) / static_cast<double>(ref->rss)
               - 1;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    char buf[200];
    std::snprintf(buf, sizeof(buf),
                  "%s (reference %.1f MB at %.0f s; later samples from "
                  "%+.1f%% to %+.1f%%; last %.1f MB)",
                  hi <= 0.05 && lo >= -0.05 ? "yes" : "no",
                  static_cast<double>(ref->rss) / 1e6, ref->t, lo * 100,
                  hi * 100, static_cast<double>(final_rss) / 1e6);
    rss_verdict = buf;
  }
  std::printf("\n## Verdicts\n\n");
  std::printf("- population online within the first minute: %s\n",
              ramp_s <= 60 ? "yes" : "no");
  std::printf("- every change answered as the model predicted: %s (%" PRIu64
              " not)\n",
              unexpected == 0 ? "yes" : "no", unexpected);
  std::printf("- exact end state: %s\n", exact ? "yes" : "no");
  std::printf("- RSS after %.0f s within 5%% of its value then: %s\n",
              opts.rss_reference_s, rss_verdict.c_str());
  std::fflush(stdout);
  for (auto& p : {good, flaky, mortal})
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  mgr.reset();
  return exact && unexpected == 0 ? 0 : 1;
}

// presence_bench: the workloads W1-W6 and the push latency run (main_rows),
// the mass logout rows M (mass_logout), the idle expiry rows X1-X3
// (expiry_rows) and the one-user rows U1-U3 (one_user_rows), all through the
// public facade (presence::online_manager), one fresh actor system per N.
// Prints a Markdown table on stdout (progress on stderr) and exits non-zero
// if any count is off.
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
//   --bench-mass-logout-call=each|list  the logout as one mark_offline_all
//                           call per user (default) or one
//                           mark_offline_users call
//   --bench-one-user=K      also run the one-user rows U1-U3: K logins with
//                           distinct tokens on one login id, pipelined and
//                           one by one, then K pipelined logouts (default
//                           0: not run)
//   --bench-cluster-peer=PATH  row C1: run W1-W6 on a cluster node with one
//                           peer replicating (PATH: build-bench/bench/cluster_bench)
//   --bench-cluster-peer-events=0|1  C1's peer subscribes to presence
//                           events, as a node whose application listens
//                           to them (default 0: it only replicates)
//   --bench-help            this text
// Every other `--` argument goes to CAF's parser (presence::config), e.g.
// --scheduler.policy=stealing or --presence.batch-size=1024.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <caf/config.hpp>

#include <presence/presence.hpp>

#include "bench/expiry_rows.hpp"
#include "bench/machine.hpp"
#include "bench/main_rows.hpp"
#include "bench/mass_logout.hpp"
#include "bench/one_user_rows.hpp"
#include "bench/options.hpp"
#include "bench/report.hpp"

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
      run_main_rows(n, opts, notes, first, opts.main_rows);
    if (opts.mass_logout) {
      presence::config cfg;
      parse_caf_options(opts, cfg);
      run_mass_logout(n, cfg, opts.mass_logout_list, opts.stall_check_ms,
                      opts.timeout_s, notes);
    }
    if (opts.expiry)
      run_expiry_rows(n, opts);
    notes.push_back("N=" + fmt_count(n) + ": whole run incl. setup and "
                    "shutdown " + fmt_duration(seconds_between(t0, clk::now())));
    first = false;
  }
  if (opts.one_user > 0)
    run_one_user_rows(opts.one_user, opts);
  std::printf("\nNotes:\n");
  for (auto& note : notes)
    std::printf("- %s\n", note.c_str());
  std::printf("\nBaselines are the original module on a 2-core machine of "
              "this class; targets apply at N=1,000,000 (at 100,000 the same "
              "factor is shown in parentheses for information). All counts "
              "exact.\n");
  return 0;
}

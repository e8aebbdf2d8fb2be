// The cluster benchmark: nodes in processes of their own on this machine,
// with sessions shaped like the single-node bench (user{i}, tok{i}-web, web).
//
//   cluster_bench [N] [options]  rows C2-C9 at N sessions (a node)
//     --rows=push,join,stop      which groups of rows (default: all)
//     --c4-ms=2000               C4's measured run
//     --c8-load-seconds=60       C8's watch under C3's load
//     --node-option=OPT          passed to every node (repeatable), e.g.
//                                --node-option=--presence.scheduler-spin=1ms
//   cluster_bench node ...       one node (what the rows start)
//
// Rows (docs/performance.md, "The cluster"): push: C3 cross-node pushes,
// C4 their latency at 10k/s, C8's false downs under C3's load, C5 broadcast
// over three nodes (cluster_push_rows.cpp); join: C6 snapshot to a joining
// node, C9 RSS growth per replicated session on that node, C2 replication
// lag at 10k logins/s, C7 time until a killed node's sessions are gone from
// its peer; stop: C8 time until a stopped (SIGSTOP) node's are. A stall
// check of the machine is printed beside every timed row.

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/cluster_driver.hpp"
#include "bench/cluster_push_rows.hpp"
#include "cluster_bench_node.hpp"
#include "machine.hpp"

using namespace bench;

namespace {

bool has(const std::string& list, const std::string& x) {
  return ("," + list + ",").find("," + x + ",") != std::string::npos;
}

void join_rows(size_t n);
void stop_row();

} // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string{argv[1]} == "node")
    return bench::run_node(argc - 1, argv + 1);
  push_rows_options push;
  std::string groups = "join,push,stop";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const std::string& key) {
      return arg.compare(0, key.size(), key) == 0 ? arg.substr(key.size())
                                                  : std::string{};
    };
    if (!value("--c8-load-seconds=").empty())
      push.c8_load_seconds = std::stoi(value("--c8-load-seconds="));
    else if (!value("--c4-ms=").empty())
      push.c4_ms = std::stoi(value("--c4-ms="));
    else if (!value("--rows=").empty())
      groups = value("--rows=");
    else if (!value("--node-option=").empty())
      node_options.push_back(value("--node-option="));
    else if (!arg.empty() && arg[0] != '-')
      push.n = std::stoul(arg);
    else
      fail("unknown option " + arg + " (see the top of cluster_bench.cpp)");
  }
  auto n = push.n;
  std::signal(SIGPIPE, SIG_IGN);
  std::cout << "cluster_bench N=" << n << ", " << bench::cpus_available()
            << " CPUs, " << bench::cpu_model() << std::endl;

  if (has(groups, "join"))
    join_rows(n);
  if (has(groups, "push"))
    push_rows(push);
  if (has(groups, "stop"))
    stop_row();
  return 0;
}

namespace {

void join_rows(size_t n) {
  // C6 and C9: a node joins one that owns n sessions.
  auto a = start_node("a");
  ask(*a, "load " + std::to_string(n), "loaded");
  auto idle = start_node("idle");
  auto baseline = field(ask(*idle, "rss", "rss "), "rss ");
  auto idle_heap = field(ask(*idle, "heap", "heap "), "heap ");
  idle.reset();
  auto t0 = now_ns();
  auto b = start_node("b", {a->port()});
  auto done = field(ask(*b, "wait-sessions " + std::to_string(n), "sessions"),
                    " at ");
  row("C6 snapshot of " + std::to_string(n) + " sessions to a joining node",
      std::to_string(ms_between(t0, done)) + " ms (from the process start)");
  ask(*b, "wait-joined " + std::to_string(n), "joined");
  // RSS as the node keeps it once settled: two seconds later, after the
  // registry's trims that follow a burst of remote changes (once it has
  // been quiet for 500 ms, then 1 s and 4 s after that;
  // registry_core::trim_delay and late_trims).
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto rss = field(ask(*b, "rss", "rss "), "rss ");
  auto trimmed = field(ask(*b, "trimmed-rss", "rss "), "rss ");
  auto heap = ask(*b, "heap", "heap ");
  row("C9 RSS growth per replicated session",
      std::to_string((rss - baseline) / static_cast<int64_t>(n)) + " B ("
        + std::to_string((rss - baseline) >> 20)
        + " MiB over an idle node); after malloc_trim "
        + std::to_string((trimmed - baseline) / static_cast<int64_t>(n))
        + " B; malloc in use "
        + std::to_string((field(heap, "heap ") - idle_heap)
                         / static_cast<int64_t>(n))
        + " B, free " + std::to_string(field(heap, " free ") >> 20)
        + " MiB");

  // C2: replication lag of logins at 10k/s on a, seen on b.
  ask(*b, "lags", "lags");
  ask(*a, "paced 20000 10000", "paced");
  ask(*b, "wait-sessions " + std::to_string(n + 20000), "sessions");
  row("C2 replication lag at 10k logins/s", ask(*b, "lags", "lags"));

  // C7: a is killed; its sessions leave b's view.
  b->send("wait-sessions 0");
  auto kill_at = now_ns();
  a->signal(SIGKILL);
  auto gone = field(*b->wait_line("sessions 0", std::chrono::seconds(600)),
                    " at ");
  row("C7 kill -9: " + std::to_string(n + 20000)
        + " sessions gone from the peer",
      std::to_string(ms_between(kill_at, gone)) + " ms");
  a->wait_exit();
}

void stop_row() {
  // C8: a silent node (SIGSTOP), found by CAF's heartbeats (500 ms / 2 s).
  auto c = start_node("c");
  ask(*c, "load 1000", "loaded");
  auto d = start_node("d", {c->port()});
  ask(*d, "wait-sessions 1000", "sessions");
  d->send("wait-sessions 0");
  auto stop_at = now_ns();
  c->signal(SIGSTOP);
  auto found = field(*d->wait_line("sessions 0", std::chrono::seconds(60)),
                     " at ");
  row("C8 SIGSTOP detected (1000 sessions gone)",
      std::to_string(ms_between(stop_at, found)) + " ms");
  c->signal(SIGCONT);
}

} // namespace

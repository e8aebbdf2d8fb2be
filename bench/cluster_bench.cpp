// The cluster benchmark: nodes in processes of their own on this machine,
// with sessions shaped like the single-node bench (user{i}, tok{i}-web, web).
//
//   cluster_bench [N]        rows C2, C6, C7, C8 and C9 at N sessions
//   cluster_bench node ...   one node (what the rows start)
//
// Rows (docs/performance.md, "The cluster"): C6 snapshot to a joining node,
// C9 RSS growth per replicated session on that node, C2 replication lag at
// 10k logins/s, C7 time until a killed node's sessions are gone from its
// peer, C8 time until a stopped (SIGSTOP) node's are. A stall check of the
// machine is printed beside every timed row.

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "cluster_bench_node.hpp"
#include "machine.hpp"
#include "processes/node_process.hpp"

using test::node_process;

namespace {

std::string self_program() {
  char buf[4096];
  auto n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

std::unique_ptr<node_process> start(const std::string& name,
                                    std::vector<uint16_t> seeds = {}) {
  std::vector<std::string> args{"node", "--presence.cluster.name=bench",
                                "--presence.cluster.node-name=" + name,
                                "--presence.cluster.port=0"};
  if (!seeds.empty())
    args.push_back("--presence.cluster.seeds=[\"127.0.0.1:"
                   + std::to_string(seeds.front()) + "\"]");
  auto p = std::make_unique<node_process>(self_program(), args);
  if (p->port() == 0) {
    std::cerr << "node " << name << " did not start:\n" << p->transcript();
    std::exit(1);
  }
  return p;
}

/// The number after `key` in `line`.
int64_t field(const std::string& line, const std::string& key) {
  auto pos = line.find(key);
  if (pos == std::string::npos)
    return -1;
  return std::stoll(line.substr(pos + key.size()));
}

/// Sends `cmd` and waits (up to `timeout`) for the answer containing `part`.
std::string ask(node_process& p, const std::string& cmd,
                const std::string& part,
                std::chrono::seconds timeout = std::chrono::seconds(600)) {
  p.send(cmd);
  auto line = p.wait_line(part, timeout);
  if (!line) {
    std::cerr << "no answer to '" << cmd << "':\n" << p.transcript();
    std::exit(1);
  }
  return *line;
}

double ms_between(int64_t from, int64_t to) {
  return static_cast<double>(to - from) / 1e6;
}

void row(const std::string& name, const std::string& figure) {
  std::cout << name << ": " << figure << "\n  " << bench::machine_stalls(500)
            << std::endl;
}

} // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string{argv[1]} == "node")
    return bench::run_node(argc - 1, argv + 1);
  size_t n = argc > 1 ? std::stoul(argv[1]) : 100000;
  std::signal(SIGPIPE, SIG_IGN);
  std::cout << "cluster_bench N=" << n << ", " << bench::cpus_available()
            << " CPUs, " << bench::cpu_model() << std::endl;

  // C6 and C9: a node joins one that owns n sessions.
  auto a = start("a");
  ask(*a, "load " + std::to_string(n), "loaded");
  auto idle = start("idle");
  auto baseline = field(ask(*idle, "rss", "rss "), "rss ");
  auto idle_heap = field(ask(*idle, "heap", "heap "), "heap ");
  idle.reset();
  auto t0 = mono_ns();
  auto b = start("b", {a->port()});
  auto done = field(ask(*b, "wait-sessions " + std::to_string(n), "sessions"),
                    " at ");
  row("C6 snapshot of " + std::to_string(n) + " sessions to a joining node",
      std::to_string(ms_between(t0, done)) + " ms (from the process start)");
  ask(*b, "wait-joined " + std::to_string(n), "joined");
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
  auto kill_at = mono_ns();
  a->signal(SIGKILL);
  auto gone = field(*b->wait_line("sessions 0", std::chrono::seconds(600)),
                    " at ");
  row("C7 kill -9: " + std::to_string(n + 20000)
        + " sessions gone from the peer",
      std::to_string(ms_between(kill_at, gone)) + " ms");
  a->wait_exit();
  b.reset();

  // C8: a silent node (SIGSTOP), found by CAF's heartbeats (500 ms / 2 s).
  auto c = start("c");
  ask(*c, "load 1000", "loaded");
  auto d = start("d", {c->port()});
  ask(*d, "wait-sessions 1000", "sessions");
  d->send("wait-sessions 0");
  auto stop_at = mono_ns();
  c->signal(SIGSTOP);
  auto found = field(*d->wait_line("sessions 0", std::chrono::seconds(60)),
                     " at ");
  row("C8 SIGSTOP detected (1000 sessions gone)",
      std::to_string(ms_between(stop_at, found)) + " ms");
  c->signal(SIGCONT);
  return 0;
}

// CAF's own floor under C4 (docs/performance.md, "C4"): the one-way latency
// of a message from a paced thread in one process to an actor in another,
// over CAF 0.17's BASP on loopback, with nothing of presence in between.
//
//   transport_floor [RATE=10000] [N=30000] [--caf-option=VALUE...]
//
// The process forks before any thread exists: the child publishes a sink
// actor, the parent connects and sends N stamps (bench::now_ns, a clock both
// share) at RATE per second; the sink prints p50/p99 of the later two thirds.
// CAF options (e.g. --scheduler.policy=sharing) apply to both processes.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "bench/machine.hpp"

namespace {

using stamp_atom = caf::atom_constant<caf::atom("fStamp")>;
using report_atom = caf::atom_constant<caf::atom("fReport")>;

struct sink_state {
  std::vector<int64_t> lags;
};

caf::behavior sink(caf::stateful_actor<sink_state>* self) {
  return {
    [=](stamp_atom, int64_t sent) {
      self->state.lags.push_back(bench::now_ns() - sent);
    },
    [=](report_atom, int64_t skip) {
      auto& xs = self->state.lags;
      xs.erase(xs.begin(), xs.begin() + std::min<int64_t>(skip, xs.size()));
      std::sort(xs.begin(), xs.end());
      if (xs.empty())
        return std::string{"no stamps arrived"};
      auto at = [&](size_t pct) { return xs[xs.size() * pct / 100] / 1000; };
      return "n " + std::to_string(xs.size()) + " p50_us "
             + std::to_string(at(50)) + " p99_us " + std::to_string(at(99))
             + " max_us " + std::to_string(xs.back() / 1000);
    },
  };
}

/// The child: publishes the sink, tells the parent its port through
/// `port_fd`, and serves until the parent closes `done_fd`'s other end.
int serve(int argc, char** argv, int done_fd, int port_fd) {
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  cfg.parse(argc, argv);
  caf::actor_system sys{cfg};
  auto s = sys.spawn(sink);
  auto port = sys.middleman().publish(s, 0, "127.0.0.1", true);
  uint16_t p = port ? *port : 0;
  if (write(port_fd, &p, sizeof(p)) != sizeof(p) || p == 0)
    return 1;
  char c;
  while (read(done_fd, &c, 1) > 0) {
  }
  caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  size_t rate = 10000;
  size_t n = 30000;
  std::vector<char*> caf_args{argv[0]};
  std::vector<size_t*> positional{&rate, &n};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) == 0)
      caf_args.push_back(argv[i]);
    else if (!positional.empty()) {
      *positional.front() = std::stoul(arg);
      positional.erase(positional.begin());
    }
  }
  if (rate == 0 || n < 3) {
    std::fprintf(stderr, "usage: %s [RATE>0] [N>=3] [--caf-option=VALUE...]\n",
                 argv[0]);
    return 2;
  }
  // Two pipes: the child's port up, the parent's "done" (EOF) down.
  int up[2];
  int down[2];
  if (pipe(up) != 0 || pipe(down) != 0)
    return 1;
  auto child = fork();
  if (child == 0) {
    close(up[0]);
    close(down[1]);
    return serve(static_cast<int>(caf_args.size()), caf_args.data(), down[0],
                 up[1]);
  }
  close(up[1]);
  close(down[0]);
  uint16_t port = 0;
  if (read(up[0], &port, sizeof(port)) != sizeof(port) || port == 0) {
    std::fprintf(stderr, "the sink process did not start\n");
    return 1;
  }
  int status = 0;
  {
    caf::actor_system_config cfg;
    cfg.load<caf::io::middleman>();
    cfg.parse(static_cast<int>(caf_args.size()), caf_args.data());
    caf::actor_system sys{cfg};
    auto target = sys.middleman().remote_actor("127.0.0.1", port);
    if (!target) {
      std::fprintf(stderr, "connect: %s\n", sys.render(target.error()).c_str());
      status = 1;
    } else {
      auto start = std::chrono::steady_clock::now();
      for (size_t i = 0; i < n; ++i) {
        std::this_thread::sleep_until(
          start + std::chrono::nanoseconds(i * 1'000'000'000ull / rate));
        caf::anon_send(*target, stamp_atom::value, bench::now_ns());
      }
      caf::scoped_actor self{sys};
      self
        ->request(*target, std::chrono::seconds(30), report_atom::value,
                  static_cast<int64_t>(n / 3))
        .receive(
          [&](const std::string& line) {
            std::printf("CAF BASP one-way, a paced thread to an actor in "
                        "another process, %zu/s, %zu messages (the first "
                        "third skipped): %s\n",
                        rate, n, line.c_str());
          },
          [&](caf::error& err) {
            std::fprintf(stderr, "report: %s\n", sys.render(err).c_str());
            status = 1;
          });
      std::printf("  %s\n", bench::machine_stalls(500).c_str());
    }
  }
  close(down[1]);
  int child_status = 0;
  waitpid(child, &child_status, 0);
  if (status != 0)
    return status;
  return WIFEXITED(child_status) ? WEXITSTATUS(child_status) : 1;
}

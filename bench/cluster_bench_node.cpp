// The cluster benchmark's node: one cluster node whose commands on stdin
// load sessions, wait for counts and report memory and replication lag, one
// answer line each. cluster_bench.cpp starts several and times them. Times
// are CLOCK_MONOTONIC nanoseconds, which every process on the machine
// shares, so the driver can subtract its own readings.

#include "cluster_bench_node.hpp"

#include <algorithm>
#include <atomic>
#include <malloc.h>
#include <chrono>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "machine.hpp"
#include "presence/cluster.hpp"
#include "presence/presence.hpp"

using namespace presence;

namespace bench {

namespace {

void say(const std::string& line) {
  static std::mutex mtx;
  std::lock_guard<std::mutex> guard{mtx};
  std::cout << line << std::endl;
}

int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

/// Replication lags seen here: arrival time minus the owner's stamp.
struct lag_log {
  std::mutex mtx;
  std::vector<int64_t> ns;
  /// Joined events received, for any reason.
  std::atomic<uint64_t> joined{0};
};

event_subscriber_actor::behavior_type lag_recorder(std::shared_ptr<lag_log> log) {
  return {
    [log](presence_events_atom, const presence_events& batch) {
      auto now = caf::make_timestamp();
      std::lock_guard<std::mutex> guard{log->mtx};
      for (auto& ev : batch.events) {
        if (ev.kind != event_kind::joined)
          continue;
        log->joined.fetch_add(1, std::memory_order_relaxed);
        if (ev.reason == "replicated")
          log->ns.push_back((now - ev.session.connect_time).count());
      }
    },
  };
}

void load(online_manager& m, const std::string& prefix, size_t n) {
  std::vector<pending<change_result>> calls;
  calls.reserve(std::min<size_t>(n, 65536));
  for (size_t i = 0; i < n; ++i) {
    auto id = std::to_string(i);
    calls.push_back(m.mark_online(
      make_online_user(prefix + id, "tok" + id + "-web", "web")));
    if (calls.size() == 65536) {
      for (auto& c : calls)
        c.wait();
      calls.clear();
    }
  }
  for (auto& c : calls)
    c.wait();
}

/// Logins at `rate` per second, each at its due time.
void paced(online_manager& m, size_t n, size_t rate) {
  auto start = std::chrono::steady_clock::now();
  std::vector<pending<change_result>> calls;
  calls.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto due = start + std::chrono::nanoseconds(i * 1'000'000'000ull / rate);
    std::this_thread::sleep_until(due);
    auto id = std::to_string(i);
    calls.push_back(
      m.mark_online(make_online_user("p" + id, "ptok" + id, "web")));
  }
  for (auto& c : calls)
    c.wait();
}

std::string percentiles(std::vector<int64_t> xs) {
  if (xs.empty())
    return "n 0";
  std::sort(xs.begin(), xs.end());
  auto at = [&](double q) {
    return xs[std::min(xs.size() - 1, static_cast<size_t>(q * xs.size()))];
  };
  std::ostringstream out;
  out << "n " << xs.size() << " p50_us " << at(0.5) / 1000 << " p99_us "
      << at(0.99) / 1000 << " max_us " << xs.back() / 1000;
  return out.str();
}

} // namespace

int run_node(int argc, char** argv) {
  caf::actor_system_config cfg;
  configure(cfg);
  configure_cluster(cfg);
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "options: " << cfg.render(err) << '\n';
    return 2;
  }
  caf::actor_system sys{cfg};
  online_manager manager{sys};
  auto lags = std::make_shared<lag_log>();
  auto recorder = sys.spawn(lag_recorder, lags);
  manager.subscribe_events(recorder).get();
  auto node = start_cluster(sys, manager);
  if (!node) {
    std::cerr << "start_cluster: " << render_cluster(node.error()) << '\n';
    return 1;
  }
  {
    caf::scoped_actor self{sys};
    self->request(*node, std::chrono::seconds(10), members_atom::value)
      .receive(
        [](std::vector<member_info>& xs) {
          say("node " + xs.front().node + " listening on " + xs.front().host
              + ":" + std::to_string(xs.front().port));
        },
        [](caf::error&) {});
  }
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream in{line};
    std::string cmd;
    size_t n = 0;
    in >> cmd;
    if (cmd == "quit") {
      break;
    } else if (cmd == "load") {
      std::string prefix = "user";
      in >> n >> prefix;
      load(manager, prefix, n);
      say("loaded " + std::to_string(n) + " at " + std::to_string(mono_ns()));
    } else if (cmd == "paced") {
      size_t rate = 0;
      in >> n >> rate;
      paced(manager, n, rate);
      say("paced " + std::to_string(n));
    } else if (cmd == "wait-sessions") {
      // Polls the local view (no message): the time it first shows n.
      in >> n;
      for (;;) {
        auto s = manager.get_session_count();
        if (s && *s == n)
          break;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      say("sessions " + std::to_string(n) + " at " + std::to_string(mono_ns()));
    } else if (cmd == "wait-joined") {
      // Until the events of n joins reached this subscriber: the registry's
      // batches are delivered, so memory figures miss no transient.
      in >> n;
      while (lags->joined.load(std::memory_order_relaxed) < n)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      // The count is reached inside the last batch's handler: a round trip
      // behind it makes sure that batch is gone too.
      caf::scoped_actor self{sys};
      self
        ->request(recorder, std::chrono::seconds(60),
                  presence_events_atom::value, presence_events{})
        .receive([] {}, [](caf::error&) {});
      say("joined " + std::to_string(n));
    } else if (cmd == "rss") {
      say("rss " + std::to_string(rss_bytes()));
    } else if (cmd == "trimmed-rss") {
      malloc_trim(0);
      say("rss " + std::to_string(rss_bytes()));
    } else if (cmd == "heap") {
      // malloc's view: bytes in use (small and mmapped blocks), and free
      // bytes it keeps; what RSS holds beyond both is mapped apart (the
      // table's huge-page arrays, stacks, code).
      auto m = mallinfo2();
      say("heap " + std::to_string(m.uordblks + m.hblkhd) + " free "
          + std::to_string(m.fordblks));
    } else if (cmd == "lags") {
      std::vector<int64_t> xs;
      {
        std::lock_guard<std::mutex> guard{lags->mtx};
        xs.swap(lags->ns);
      }
      say("lags " + percentiles(std::move(xs)));
    } else if (cmd == "stalls") {
      int ms = 1000;
      in >> ms;
      say("stalls " + machine_stalls(ms));
    } else if (!cmd.empty()) {
      say("error unknown command " + cmd);
    }
  }
  stop_cluster(sys, *node);
  caf::anon_send_exit(recorder, caf::exit_reason::user_shutdown);
  say("bye");
  return 0;
}

} // namespace bench

// The cluster benchmark's node: one cluster node whose commands on stdin
// load sessions, wait for counts, report memory, replication lag and
// membership changes, and push (cluster_node_pushes.hpp), one answer line
// each. cluster_bench.cpp starts several and times them. Times are
// CLOCK_MONOTONIC nanoseconds, which every process on the machine shares,
// so the driver can subtract its own readings.
//
//   load N [PREFIX]       N sessions PREFIX{i}, tok{i}-web, web
//   paced N R             N logins at R/s
//   wait-sessions N       the time the local view first shows N sessions
//   rss | trimmed-rss     resident memory (after malloc_trim)
//   lags                  replication lags of the joins seen since last time
//   watch                 starts counting membership changes
//   downs                 what changed since `watch` (and stops counting)
//   stalls [MS]           the machine's stall check
//
// `cluster_bench node --events=0 ...` subscribes no event recorder: a node
// that only replicates (row C1's peer). `lags`, `wait-joined` and `downs`
// need the recorder.

#include "cluster_bench_node.hpp"
#include "cluster_node_pushes.hpp"

#include <algorithm>
#include <atomic>
#include <malloc.h>
#include <chrono>
#include <map>
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

void say(const std::string& line) {
  static std::mutex mtx;
  std::lock_guard<std::mutex> guard{mtx};
  std::cout << line << std::endl;
}

namespace {

/// Replication lags seen here (arrival time minus the owner's stamp), and
/// the node events.
struct lag_log {
  std::mutex mtx;
  std::vector<int64_t> ns;
  std::atomic<uint64_t> node_downs{0};
  std::atomic<uint64_t> node_ups{0};
  /// Joined events received, for any reason.
  std::atomic<uint64_t> joined{0};
};

event_subscriber_actor::behavior_type lag_recorder(std::shared_ptr<lag_log> log) {
  return {
    [log](presence_events_atom, const presence_events& batch) {
      auto now = caf::make_timestamp();
      std::lock_guard<std::mutex> guard{log->mtx};
      for (auto& ev : batch.events) {
        if (ev.kind == event_kind::node_down) {
          ++log->node_downs;
          continue;
        }
        if (ev.kind == event_kind::node_up) {
          ++log->node_ups;
          continue;
        }
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

/// Polls the membership every 100 ms and counts each peer's state changes
/// (up, stale, down): a loaded but healthy cluster should show none.
class member_watch {
public:
  member_watch(caf::actor_system& sys, cluster_actor node)
    : sys_(sys), node_(std::move(node)) {
    thread_ = std::thread{[this] { run(); }};
  }

  ~member_watch() {
    if (thread_.joinable())
      finish();
  }

  /// Stops polling; one line on what changed.
  std::string finish() {
    stop_ = true;
    thread_.join();
    std::string out = "changes " + std::to_string(changes_) + " polls "
                      + std::to_string(polls_) + " failed "
                      + std::to_string(failed_);
    for (auto& kv : seen_)
      out += " " + kv.first + "=" + to_string(kv.second);
    return out;
  }

private:
  void run() {
    caf::scoped_actor self{sys_};
    while (!stop_) {
      self->request(node_, std::chrono::seconds(10), members_atom::value)
        .receive(
          [&](std::vector<member_info>& xs) {
            ++polls_;
            for (auto& x : xs) {
              if (x.self)
                continue;
              auto i = seen_.find(x.node);
              if (i == seen_.end())
                seen_.emplace(x.node, x.state);
              else if (i->second != x.state) {
                ++changes_;
                i->second = x.state;
              }
            }
          },
          [&](caf::error&) { ++failed_; });
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  caf::actor_system& sys_;
  cluster_actor node_;
  std::atomic<bool> stop_{false};
  std::map<std::string, peer_state> seen_;
  uint64_t changes_ = 0;
  uint64_t polls_ = 0;
  uint64_t failed_ = 0;
  std::thread thread_;
};

} // namespace

int run_node(int argc, char** argv) {
  // Ours, not CAF's: taken out before CAF parses the rest.
  auto events = true;
  std::vector<char*> args{argv, argv + argc};
  auto ours = std::find(args.begin(), args.end(), std::string{"--events=0"});
  if (ours != args.end()) {
    events = false;
    args.erase(ours);
  }
  caf::actor_system_config cfg;
  configure(cfg);
  configure_cluster(cfg);
  if (auto err = cfg.parse(static_cast<int>(args.size()), args.data())) {
    std::cerr << "options: " << cfg.render(err) << '\n';
    return 2;
  }
  caf::actor_system sys{cfg};
  online_manager manager{sys};
  auto lags = std::make_shared<lag_log>();
  auto recorder = sys.spawn(lag_recorder, lags);
  if (events)
    manager.subscribe_events(recorder).get();
  node_pushes pushes{sys, manager};
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
  std::unique_ptr<member_watch> watch;
  uint64_t downs_before = 0;
  uint64_t ups_before = 0;
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
      say("loaded " + std::to_string(n) + " at " + std::to_string(now_ns()));
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
      say("sessions " + std::to_string(n) + " at " + std::to_string(now_ns()));
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
    } else if (cmd == "watch") {
      downs_before = lags->node_downs.load();
      ups_before = lags->node_ups.load();
      watch = std::make_unique<member_watch>(sys, *node);
      say("watching");
    } else if (cmd == "downs") {
      auto changes = watch ? watch->finish() : std::string{"not watching"};
      watch.reset();
      say("downs " + std::to_string(lags->node_downs.load() - downs_before)
          + " ups " + std::to_string(lags->node_ups.load() - ups_before) + " "
          + changes);
    } else if (pushes.run(cmd, in)) {
      // A push command (cluster_node_pushes.hpp).
    } else if (cmd == "stalls") {
      int ms = 1000;
      in >> ms;
      say("stalls " + machine_stalls(ms));
    } else if (!cmd.empty()) {
      say("error unknown command " + cmd);
    }
  }
  watch.reset();
  stop_cluster(sys, *node);
  caf::anon_send_exit(recorder, caf::exit_reason::user_shutdown);
  say("bye");
  return 0;
}

} // namespace bench

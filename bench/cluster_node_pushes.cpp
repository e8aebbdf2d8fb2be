#include "bench/cluster_node_pushes.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <sys/prctl.h>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "bench/cluster_bench_node.hpp"
#include "presence/online_manager.hpp"

using namespace presence;

namespace bench {

namespace {

/// What the reports of one command add up to.
struct tally {
  uint64_t calls = 0;
  uint64_t users = 0;
  uint64_t sessions = 0;
  uint64_t targeted = 0;
  uint64_t failures = 0;
  uint64_t errors = 0;

  void add(const pending<delivery_report>& p) {
    ++calls;
    auto r = p.get();
    if (!r) {
      ++errors;
      return;
    }
    users += r->users_reached;
    sessions += r->sessions_reached;
    targeted += r->users_targeted;
    failures += r->failed_pushers.size();
  }

  std::string str() const {
    return "calls " + std::to_string(calls) + " users " + std::to_string(users)
           + " sessions " + std::to_string(sessions) + " targeted "
           + std::to_string(targeted) + " failed " + std::to_string(failures)
           + " errors " + std::to_string(errors);
  }
};

/// Login ids prefix{first}, prefix{first + 1}, ... (modulo `users`).
std::vector<std::string> ids(const std::string& prefix, uint64_t first,
                             size_t count, uint64_t users) {
  std::vector<std::string> xs;
  xs.reserve(count);
  for (size_t k = 0; k < count; ++k)
    xs.push_back(prefix + std::to_string((first + k) % users));
  return xs;
}

/// Waits for each paced push's report in sending order and keeps its round
/// trip (send to report), so the sender never waits.
class report_timer {
public:
  explicit report_timer(size_t n) {
    trips_.reserve(n);
    thread_ = std::thread{[this] { run(); }};
  }

  void add(int64_t sent, pending<delivery_report> p) {
    std::lock_guard<std::mutex> guard{mtx_};
    queue_.emplace_back(sent, std::move(p));
    cv_.notify_one();
  }

  /// Waits for every report; their round trips and the reports' tally.
  std::vector<int64_t> finish(tally& t) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      done_ = true;
      cv_.notify_one();
    }
    thread_.join();
    t = tally_;
    return std::move(trips_);
  }

private:
  void run() {
    for (;;) {
      std::pair<int64_t, pending<delivery_report>> next;
      {
        std::unique_lock<std::mutex> guard{mtx_};
        cv_.wait(guard, [this] { return done_ || !queue_.empty(); });
        if (queue_.empty())
          return;
        next = std::move(queue_.front());
        queue_.pop_front();
      }
      next.second.wait();
      trips_.push_back(now_ns() - next.first);
      tally_.add(next.second);
    }
  }

  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::pair<int64_t, pending<delivery_report>>> queue_;
  bool done_ = false;
  std::vector<int64_t> trips_;
  tally tally_;
  std::thread thread_;
};

} // namespace

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

node_pushes::node_pushes(caf::actor_system& sys, online_manager& mgr)
  : mgr_(mgr), c_(std::make_shared<counters>()) {
  pusher_ = sys.spawn(counting_pusher, c_);
  mgr_.register_pusher(pusher_).wait();
}

node_pushes::~node_pushes() {
  caf::anon_send_exit(pusher_, caf::exit_reason::user_shutdown);
}

bool node_pushes::run(const std::string& cmd, std::istringstream& in) {
  uint64_t n = 0;
  uint64_t batch = 0;
  uint64_t users = 1;
  std::string prefix = "user";
  if (cmd == "push-users" || cmd == "push-users-for") {
    // P pushes (or S seconds of them) as push_to_users calls of B users.
    in >> n >> batch >> prefix >> users;
    batch = std::max<uint64_t>(std::min(batch, users), 1);
    auto t0 = now_ns();
    auto until = t0 + static_cast<int64_t>(n) * 1'000'000'000;
    std::deque<pending<delivery_report>> calls;
    tally t;
    uint64_t sent = 0;
    for (;;) {
      if (cmd == "push-users" ? sent >= n : now_ns() >= until)
        break;
      auto count = cmd == "push-users" ? std::min(batch, n - sent) : batch;
      calls.push_back(mgr_.push_to_users(ids(prefix, sent, count, users),
                                         "c3"));
      sent += count;
      // Reports of a long run are added up as they come.
      while (!calls.empty() && calls.front().ready()) {
        t.add(calls.front());
        calls.pop_front();
      }
    }
    for (auto& p : calls)
      t.add(p);
    say("pushed " + std::to_string(sent) + " " + t.str() + " from "
        + std::to_string(t0) + " at " + std::to_string(now_ns()));
  } else if (cmd == "push-each") {
    in >> n >> prefix >> users;
    auto t0 = now_ns();
    std::vector<pending<delivery_report>> calls;
    calls.reserve(n);
    for (uint64_t i = 0; i < n; ++i)
      calls.push_back(mgr_.push_to_user(prefix + std::to_string(i % users),
                                        "c3"));
    tally t;
    for (auto& p : calls)
      t.add(p);
    say("pushed " + std::to_string(n) + " " + t.str() + " from "
        + std::to_string(t0) + " at " + std::to_string(now_ns()));
  } else if (cmd == "paced-push") {
    // W warm-up pushes, then P, at R per second to users spread by a
    // stride, each carrying its send time (the pusher's latency mode).
    uint64_t rate = 1;
    uint64_t warmup = 0;
    in >> n >> rate >> warmup >> prefix >> users;
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); // precise sleeps
    report_timer timer{n};
    const uint64_t stride = 7919;
    auto start = std::chrono::steady_clock::now();
    int64_t max_lag = 0;
    for (uint64_t i = 0; i < warmup + n; ++i) {
      auto due = start + std::chrono::nanoseconds(
                   static_cast<int64_t>(i * 1'000'000'000ull / rate));
      std::this_thread::sleep_until(due);
      auto now = now_ns();
      auto id = prefix + std::to_string((i * stride) % users);
      if (i < warmup) {
        mgr_.push_to_user(std::move(id), counters::warmup_content);
        continue;
      }
      max_lag = std::max<int64_t>(
        max_lag,
        now - std::chrono::duration_cast<std::chrono::nanoseconds>(
                due.time_since_epoch())
                .count());
      timer.add(now, mgr_.push_to_user(std::move(id), std::to_string(now)));
    }
    tally t;
    auto trips = timer.finish(t);
    say("paced-pushed " + std::to_string(n) + " " + t.str()
        + " sender_max_lag_us " + std::to_string(max_lag / 1000)
        + " report_round_trip " + percentiles(std::move(trips)));
  } else if (cmd == "broadcast") {
    auto t0 = now_ns();
    tally t;
    t.add(mgr_.broadcast("c5"));
    say("broadcast " + t.str() + " from " + std::to_string(t0) + " at "
        + std::to_string(now_ns()));
  } else if (cmd == "expect-deliveries") {
    in >> n;
    expected_ = c_->deliveries.load() + n;
    c_->arm(expected_);
    say("expecting " + std::to_string(n));
  } else if (cmd == "wait-deliveries" || cmd == "wait-total") {
    if (cmd == "wait-total") {
      in >> expected_;
      c_->arm(expected_);
    }
    auto ok = c_->wait_for(expected_, std::chrono::seconds(600));
    auto at = c_->reached_ns.load();
    say(std::string{ok ? "deliveries " : "deliveries missing "}
        + std::to_string(c_->deliveries.load()) + " at "
        + std::to_string(at != 0 ? at : now_ns()));
  } else if (cmd == "deliveries") {
    say("deliveries " + std::to_string(c_->deliveries.load()));
  } else if (cmd == "latency") {
    std::string mode;
    in >> mode;
    // Set while no push is under way: the pusher reads the samples vector
    // only in this mode.
    if (mode == "on") {
      c_->latencies.assign(1'000'000, 0);
      c_->latencies.clear();
      c_->unparsable = 0;
      c_->warmups = 0;
    }
    c_->latency_mode.store(mode == "on");
    say("latency " + mode);
  } else if (cmd == "latencies") {
    say("latencies " + percentiles(c_->latencies) + " warmups "
        + std::to_string(c_->warmups) + " unparsable "
        + std::to_string(c_->unparsable));
  } else {
    return false;
  }
  return true;
}

} // namespace bench

#include "bench/mass_logout.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include <caf/all.hpp>

#include "presence/presence.hpp"

// Internal: the live user actor count (one pool block per actor).
#include "memory/block_pool.hpp"
#include "actors/user_actor.hpp"

#include "bench/report.hpp"

namespace bench {

namespace {

using clk = std::chrono::steady_clock;

int64_t stamp_ns(clk::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           t.time_since_epoch())
    .count();
}

double secs(clk::duration d) {
  return std::chrono::duration<double>(d).count();
}

/// Every delivery's send stamp (the content) and latency, recorded by the
/// pusher actor (single writer) and read once every push has arrived.
struct recorder {
  struct sample {
    int64_t sent;
    int64_t latency;
  };
  std::vector<sample> samples;
  uint64_t unparsable = 0;
  std::atomic<uint64_t> deliveries{0};
  std::mutex mtx;
  std::condition_variable cv;

  void on_batch(const presence::delivery_batch& batch) {
    auto received = stamp_ns(clk::now());
    for (auto& d : batch.deliveries) {
      auto& text = batch.message_of(d).content;
      int64_t sent = 0;
      auto res = std::from_chars(text.data(), text.data() + text.size(), sent);
      if (res.ec == std::errc{})
        samples.push_back({sent, received - sent});
      else
        ++unparsable;
    }
    deliveries.fetch_add(batch.deliveries.size());
    std::lock_guard<std::mutex> guard{mtx};
    cv.notify_all();
  }

  bool wait_for(uint64_t n, std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, timeout, [&] { return deliveries.load() >= n; });
  }
};

presence::pusher_actor::behavior_type
recording_pusher(std::shared_ptr<recorder> r) {
  return {
    [r](presence::deliver_atom, const presence::delivery_batch& batch) {
      r->on_batch(batch);
    },
  };
}

size_t live_user_actors() {
  return presence::detail::user_actor_pool().blocks_in_use();
}

/// Throughput and latency of the pushes sent in [from, to].
struct span_figures {
  size_t pushes = 0;
  double rate = 0;
  double p50_us = 0;
  double p99_us = 0;
};

span_figures figures_of(const recorder& r, clk::time_point from,
                        clk::time_point to) {
  auto a = stamp_ns(from);
  auto b = stamp_ns(to);
  std::vector<int64_t> lat;
  for (auto& s : r.samples)
    if (s.sent >= a && s.sent <= b)
      lat.push_back(s.latency);
  span_figures f;
  f.pushes = lat.size();
  f.rate = static_cast<double>(lat.size()) / secs(to - from);
  if (!lat.empty()) {
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) {
      auto idx = static_cast<size_t>(p * static_cast<double>(lat.size() - 1));
      return static_cast<double>(lat[idx]) / 1e3;
    };
    f.p50_us = pct(0.5);
    f.p99_us = pct(0.99);
  }
  return f;
}

} // namespace

void run_mass_logout(size_t n, presence::config& cfg, bool one_call,
                     int stall_check_ms, int timeout_s,
                     std::vector<std::string>& notes) {
  auto half = n / 2;
  auto wait_timeout = std::chrono::seconds(timeout_s)
                      + std::chrono::seconds(n / 10000);
  std::vector<std::string> ids;
  ids.reserve(n);
  for (size_t i = 0; i < n; ++i)
    ids.emplace_back("user" + std::to_string(i));
  auto token = [](size_t i) { return "tok" + std::to_string(i) + "-web"; };
  auto sys_ptr = std::make_unique<caf::actor_system>(cfg);
  auto& sys = *sys_ptr;
  auto r = std::make_shared<recorder>();
  // Reserved, not touched: growing it while the pushes run (copying
  // hundreds of MB at 16M samples) stalled the pusher for ~200 ms, which
  // showed as push latency in longer runs.
  r->samples.reserve(size_t{128} << 20);
  auto pusher = sys.spawn(recording_pusher, r);
  uint64_t pushed = 0;
  {
    presence::online_manager mgr{sys};
    if (auto err = mgr.status())
      fail("M online_manager status: " + sys.render(err));
    if (!mgr.register_pusher(pusher).get())
      fail("M register_pusher failed");
    progress("N=%zu M login", n);
    for (size_t i = 0; i < n; ++i)
      mgr.mark_online(presence::make_online_user(ids[i], token(i), "web"));
    auto online = mgr.get_online_count();
    check(online && *online == n, "M: online count after login");
    auto live_online = live_user_actors();
    // Two pushers to the half that stays, as fast as the facade takes them.
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> counts[2] = {{0}, {0}};
    auto push_loop = [&](size_t t) {
      size_t i = half + t;
      uint64_t k = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        mgr.push_to_user(ids[i], std::to_string(stamp_ns(clk::now())));
        ++k;
        i += 2;
        if (i >= n)
          i = half + t;
      }
      counts[t].store(k);
    };
    std::thread p0{push_loop, 0};
    std::thread p1{push_loop, 1};
    // A steady load first (1 s), then the reference window: pushes with
    // nobody leaving, right before the logout.
    auto load_start = clk::now();
    auto before = std::chrono::seconds(std::max<size_t>(4, n / 250000));
    std::this_thread::sleep_for(std::chrono::seconds(1) + before);
    // -- the logout ---------------------------------------------------------
    progress("N=%zu M mass logout of %zu users", n, half);
    // The list is the application's before the logout starts.
    std::vector<std::string> leaving;
    if (one_call)
      leaving.assign(ids.begin(), ids.begin() + half);
    auto t0 = clk::now();
    presence::pending<presence::change_result> list_call;
    if (one_call) {
      list_call = mgr.mark_offline_users(std::move(leaving));
    } else {
      for (size_t i = 0; i < half; ++i)
        mgr.mark_offline_all(ids[i]);
    }
    auto issued = clk::now();
    auto target = live_online - half;
    auto deadline = t0 + wait_timeout;
    while (live_user_actors() > target && clk::now() < deadline)
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    auto t1 = clk::now();
    stop = true;
    p0.join();
    p1.join();
    if (live_user_actors() > target)
      fail("M: " + std::to_string(live_user_actors() - target)
           + " retired user actors still alive after "
           + fmt_duration(secs(t1 - t0)));
    if (one_call) {
      auto res = list_call.get();
      check(res && res->removed == half,
            "M: mark_offline_users removed "
              + (res ? std::to_string(res->removed) : sys.render(res.error()))
              + " sessions, expected " + std::to_string(half));
    }
    online = mgr.get_online_count();
    check(online && *online == n - half, "M: online count after logout");
    // The reference: the same length right before the logout (shorter only
    // if the logout took longer than the load ran before it).
    auto t2 = std::max(t0 - (t1 - t0), load_start + std::chrono::seconds(1));
    auto t3 = t0;
    // With the pushers stopped: the check measures the machine, not presence.
    std::string stalls = stall_check_ms > 0
                               ? machine_stalls(stall_check_ms)
                               : "";
    pushed = counts[0].load() + counts[1].load();
    if (!r->wait_for(pushed, wait_timeout))
      fail("M: timed out waiting for deliveries: "
           + std::to_string(r->deliveries.load()) + " of "
           + std::to_string(pushed));
    mgr.sync();
    check(r->deliveries.load() == pushed && r->unparsable == 0,
          "M: pusher counted " + std::to_string(r->deliveries.load())
            + " deliveries, expected " + std::to_string(pushed));
    auto during = figures_of(*r, t0, t1);
    auto ref = figures_of(*r, t2, t3);
    auto span = secs(t1 - t0);
    {
      row x;
      x.name = one_call ? "M mass logout, one call" : "M mass logout";
      x.n = n;
      x.ops = fmt_count(half) + " users";
      x.time = fmt_duration(span);
      x.rate = fmt_rate(static_cast<double>(half) / span, " actors/s");
      x.per_op = one_call ? std::string{"1 call"}
                          : "calls " + fmt_duration(secs(issued - t0));
      print_row(x);
    }
    {
      row x;
      x.name = "M pushes x2 during logout";
      x.n = n;
      x.ops = fmt_count(during.pushes);
      x.time = fmt_duration(span);
      x.rate = fmt_rate(during.rate);
      x.baseline = fmt_rate(ref.rate) + " (none leaving)";
      auto ratio = ref.rate > 0 ? during.rate / ref.rate : 0.0;
      x.vs_base = fmt("%.2fx", ratio);
      x.target = ">= 0.5x";
      x.holds = ratio >= 0.5 ? "yes" : "**NO**";
      print_row(x);
    }
    {
      row x;
      x.name = "M push p99 during logout";
      x.n = n;
      x.ops = fmt_count(during.pushes);
      x.time = fmt_duration(span);
      x.rate = fmt("%.1f us", during.p99_us);
      x.per_op = fmt("p50 %.1f us", during.p50_us);
      x.baseline = fmt("%.1f us", ref.p99_us) + fmt(" (p50 %.1f us)",
                                                     ref.p50_us);
      auto ratio = ref.p99_us > 0 ? during.p99_us / ref.p99_us : 0.0;
      x.vs_base = fmt("%.2fx", ratio);
      x.target = "<= 2x";
      x.holds = ratio <= 2.0 ? "yes" : "**NO**";
      print_row(x);
    }
    notes.push_back("N=" + fmt_count(n) + ": mass logout: "
                    + (one_call ? "one mark_offline_users call for "
                                    + fmt_count(half) + " users"
                                : fmt_count(half)
                                    + " mark_offline_all calls issued in "
                                    + fmt_duration(secs(issued - t0)))
                    + ", last retired actor destroyed after "
                    + fmt_duration(span) + "; reference: the "
                    + fmt_duration(secs(t3 - t2))
                    + " right before the logout, "
                    + fmt_count(ref.pushes) + " pushes");
    if (stall_check_ms > 0) {
      notes.push_back("N=" + fmt_count(n) + ": machine stalls after the "
                      "mass logout rows: " + stalls);
    }
  }
  caf::anon_send_exit(pusher, caf::exit_reason::user_shutdown);
  pusher = nullptr;
  sys_ptr.reset();
}

} // namespace bench

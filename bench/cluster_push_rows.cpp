#include "bench/cluster_push_rows.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "bench/cluster_driver.hpp"

using test::node_process;

namespace bench {

namespace {

std::string fmt(const char* format, double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, x);
  return buf;
}

/// Checks a push command's answer: every call answered, no pusher failed,
/// `users` users reached.
void check_pushed(const std::string& line, int64_t users,
                  const std::string& what) {
  if (field(line, " users ") != users || field(line, " failed ") != 0
      || field(line, " errors ") != 0)
    fail(what + ": expected " + std::to_string(users)
         + " users reached and no failure, got: " + line);
}

/// Waits for the deliveries a node expects; the time its pusher counted the
/// last one.
int64_t delivered(node_process& p, const std::string& what) {
  auto line = ask(p, "wait-deliveries", "deliveries");
  if (line.find("missing") != std::string::npos)
    fail(what + ": " + line);
  return field(line, " at ");
}

/// One timed run of pushes from `a` to b's users; the rate from a's first
/// call until a holds every report and b's pusher counted every delivery.
void timed_pushes(node_process& a, node_process& b, const std::string& cmd,
                  int64_t pushes, const std::string& name) {
  ask(b, "expect-deliveries " + std::to_string(pushes), "expecting");
  auto line = ask(a, cmd, "pushed");
  check_pushed(line, pushes, name);
  auto from = field(line, " from ");
  auto reported = field(line, " at ");
  auto counted = delivered(b, name);
  auto ms = ms_between(from, std::max(reported, counted));
  row(name,
      fmt("%.0f pushes/s", static_cast<double>(pushes) * 1e3 / ms) + " ("
        + std::to_string(pushes) + " in " + fmt("%.1f ms", ms)
        + "; merged reports at " + fmt("%.1f ms", ms_between(from, reported))
        + ", remote pusher done at "
        + fmt("%.1f ms", ms_between(from, counted)) + ")");
}

} // namespace

void push_rows(const push_rows_options& opts) {
  auto n = static_cast<int64_t>(opts.n);
  auto ns = std::to_string(n);
  auto a = start_node("a");
  auto b = start_node("b", {a->port()});
  ask(*b, "load " + ns, "loaded");
  ask(*a, "wait-sessions " + ns, "sessions");

  // C3: a pushes to b's users. A warm-up run first (the first routed
  // pushes set up their paths), then the measured ones.
  auto batched = [&](int64_t pushes) {
    return "push-users " + std::to_string(pushes) + " 1000 user " + ns;
  };
  timed_pushes(*a, *b, batched(n), n, "(C3 warm-up)");
  timed_pushes(*a, *b, batched(5 * n), 5 * n,
               "C3 cross-node push_to_users, 1000 users a call, "
                 + std::to_string(5 * n) + " pushes");
  timed_pushes(*a, *b, "push-each " + ns + " user " + ns, n,
               "C3 cross-node push_to_user, one call a push, pipelined, "
                 + ns + " pushes");

  // C4: 10k/s paced push_to_user from a to b's users, each carrying its
  // send time; b's pusher subtracts it (both on one steady clock).
  auto count = std::max<int64_t>(10 * opts.c4_ms, 1);
  auto warmup = count / 2;
  ask(*b, "latency on", "latency");
  ask(*b, "expect-deliveries " + std::to_string(warmup + count), "expecting");
  auto paced = ask(*a,
                   "paced-push " + std::to_string(count) + " 10000 "
                     + std::to_string(warmup) + " user " + ns,
                   "paced-pushed");
  check_pushed(paced, count, "C4");
  delivered(*b, "C4");
  auto lat = ask(*b, "latencies", "latencies");
  ask(*b, "latency off", "latency");
  if (field(lat, "latencies n ") != count || field(lat, " unparsable ") != 0
      || field(lat, " warmups ") != warmup)
    fail("C4: " + lat);
  auto us = [](const std::string& line, const std::string& key) {
    return std::to_string(field(line, key)) + " us";
  };
  auto trip = paced.substr(paced.find("report_round_trip"));
  row("C4 cross-node push_to_user at 10k/s, " + std::to_string(count)
        + " pushes after " + std::to_string(warmup),
      "send to b's pusher p50 " + us(lat, " p50_us ") + " / p99 "
        + us(lat, " p99_us ") + " (max " + us(lat, " max_us ")
        + "); report round trip at a p50 " + us(trip, " p50_us ")
        + " / p99 " + us(trip, " p99_us ") + "; sender max lag "
        + us(paced, "sender_max_lag_us "));

  // C8's second half: C3's load for a while; no node may see its peer as
  // anything but up.
  ask(*a, "watch", "watching");
  ask(*b, "watch", "watching");
  auto before = field(ask(*b, "deliveries", "deliveries"), "deliveries ");
  auto load = ask(*a,
                  "push-users-for " + std::to_string(opts.c8_load_seconds)
                    + " 1000 user " + ns,
                  "pushed",
                  std::chrono::seconds(opts.c8_load_seconds + 600));
  auto pushed = field(load, "pushed ");
  check_pushed(load, pushed, "C8 load");
  auto total = ask(*b, "wait-total " + std::to_string(before + pushed),
                   "deliveries");
  if (total.find("missing") != std::string::npos)
    fail("C8 load: " + total);
  auto downs_a = ask(*a, "downs", "downs");
  auto downs_b = ask(*b, "downs", "downs");
  auto secs = ms_between(field(load, " from "), field(load, " at ")) / 1e3;
  row("C8 false downs during " + std::to_string(opts.c8_load_seconds)
        + " s of C3 load",
      "node_down events a " + std::to_string(field(downs_a, "downs "))
        + ", b " + std::to_string(field(downs_b, "downs "))
        + "; membership changes a "
        + std::to_string(field(downs_a, "changes ")) + ", b "
        + std::to_string(field(downs_b, "changes ")) + " ("
        + std::to_string(pushed) + " pushes, "
        + fmt("%.0f/s", static_cast<double>(pushed) / secs) + ")");
  if (field(downs_a, "polls ") <= 0 || field(downs_b, "polls ") <= 0)
    fail("C8: no membership poll answered: " + downs_a + " / " + downs_b);

  // C5: three nodes with n users each; a broadcasts.
  auto c = start_node("c", {a->port()});
  ask(*a, "load " + ns + " auser", "loaded");
  ask(*c, "load " + ns + " cuser", "loaded");
  auto all = std::to_string(3 * n);
  for (auto* p : {a.get(), b.get(), c.get()})
    ask(*p, "wait-sessions " + all, "sessions");
  for (auto* p : {a.get(), b.get(), c.get()})
    ask(*p, "expect-deliveries " + ns, "expecting");
  auto cast = ask(*a, "broadcast", "broadcast");
  check_pushed(cast, 3 * n, "C5");
  auto from = field(cast, " from ");
  auto end = field(cast, " at ");
  std::string per_node;
  for (auto* p : {a.get(), b.get(), c.get()}) {
    auto t = delivered(*p, "C5");
    end = std::max(end, t);
    per_node += fmt(" %.1f", ms_between(from, t));
  }
  row("C5 broadcast, 3 nodes x " + ns + " users",
      fmt("%.1f ms", ms_between(from, end)) + " (merged report at "
        + fmt("%.1f ms", ms_between(from, field(cast, " at ")))
        + "; pushers of a, b, c done at" + per_node + " ms)");
}

} // namespace bench

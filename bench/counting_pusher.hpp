#pragma once

// The benchmark's pusher: counts deliveries, sessions and batches, and in
// latency mode records each delivery's latency from the send time its
// content carries.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <presence/presence.hpp>

#include "bench/machine.hpp"

namespace bench {

/// Shared between the pusher actor (writer) and the benchmark thread (waiter).
struct counters {
  std::atomic<uint64_t> deliveries{0};
  std::atomic<uint64_t> sessions{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> target{UINT64_MAX};
  /// When the count first reached `target` (steady clock, ns; 0: not yet).
  std::atomic<int64_t> reached_ns{0};
  std::mutex mtx;
  std::condition_variable cv;
  /// While set, the pusher parses each delivery's content as the send time
  /// (steady clock, ns) and records the latency. Written by the pusher only;
  /// read by the benchmark thread once the counter says every delivery of the
  /// run has arrived.
  std::atomic<bool> latency_mode{false};
  std::vector<int64_t> latencies;
  uint64_t unparsable = 0;
  /// Deliveries of the warm-up before the measured run (not recorded).
  uint64_t warmups = 0;
  static constexpr const char* warmup_content = "warm-up";

  void on_batch(const presence::delivery_batch& batch);

  /// Sets the target (a total count) whose crossing time `reached_ns` takes.
  void arm(uint64_t expected);

  /// Blocks until `expected` deliveries were counted or `timeout` passed.
  bool wait_for(uint64_t expected, std::chrono::seconds timeout);
};

presence::pusher_actor::behavior_type
counting_pusher(std::shared_ptr<counters> c);

} // namespace bench

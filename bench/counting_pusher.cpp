#include "bench/counting_pusher.hpp"

#include <charconv>

namespace bench {

void counters::on_batch(const presence::delivery_batch& batch) {
  if (latency_mode.load(std::memory_order_relaxed)) {
    auto received = now_ns();
    for (auto& d : batch.deliveries) {
      auto& text = batch.message_of(d).content;
      if (text == warmup_content) {
        ++warmups;
        continue;
      }
      int64_t sent = 0;
      auto res = std::from_chars(text.data(), text.data() + text.size(),
                                 sent);
      if (res.ec == std::errc{})
        latencies.push_back(received - sent);
      else
        ++unparsable;
    }
  }
  batches.fetch_add(1);
  sessions.fetch_add(batch.sessions.size());
  auto total = deliveries.fetch_add(batch.deliveries.size())
               + batch.deliveries.size();
  if (total >= target.load()) {
    int64_t unset = 0;
    reached_ns.compare_exchange_strong(unset, now_ns());
    std::lock_guard<std::mutex> guard{mtx};
    cv.notify_all();
  }
}

void counters::arm(uint64_t expected) {
  reached_ns.store(0);
  target.store(expected);
}

bool counters::wait_for(uint64_t expected, std::chrono::seconds timeout) {
  if (target.load() != expected)
    arm(expected);
  bool ok;
  {
    std::unique_lock<std::mutex> guard{mtx};
    ok = cv.wait_for(guard, timeout,
                     [&] { return deliveries.load() >= expected; });
  }
  target.store(UINT64_MAX);
  return ok;
}

presence::pusher_actor::behavior_type
counting_pusher(std::shared_ptr<counters> c) {
  return {
    [c](presence::deliver_atom, const presence::delivery_batch& batch) {
      c->on_batch(batch);
    },
  };
}

} // namespace bench

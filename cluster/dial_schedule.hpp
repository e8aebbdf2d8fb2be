#pragma once

// Which addresses the cluster actor dials, and when: seeds and addresses
// learned from gossip, each at most once at a time, again after a failure
// with a growing delay, and again after its link is lost. A plain class;
// the actor runs the dials (dialer.hpp) and reports their outcomes.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cluster/backoff.hpp"

namespace presence::cluster {

struct dial_target {
  uint64_t attempt = 0;
  std::string host;
  uint16_t port = 0;
};

class dial_schedule {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  /// Delays after failures come from a `backoff` per address (100 ms
  /// doubling to 5 s, jittered so that nodes restarted together do not
  /// dial in step), seeded from `seed`.
  explicit dial_schedule(uint64_t seed);

  /// Dial host:port at `due` unless it is dialed already, linked, or due
  /// sooner.
  void add(const std::string& host, uint16_t port, time_point due);

  /// The addresses due at `now`, each now in flight with a new attempt id.
  std::vector<dial_target> take_due(time_point now);

  /// The attempt failed: dial again after the next delay.
  void failed(uint64_t attempt, time_point now);

  /// The attempt succeeded: the address is linked and not dialed again until
  /// add() is called for it (after its link is lost).
  void linked(uint64_t attempt);

  /// The address of an attempt still in flight, if any.
  const dial_target* in_flight(uint64_t attempt) const;

  /// The earliest time some address is due, or time_point::max().
  time_point next_due() const;

  size_t size() const noexcept {
    return entries_.size();
  }

private:
  using key = std::pair<std::string, uint16_t>;

  struct entry {
    /// 0 while waiting for `due`.
    uint64_t attempt = 0;
    time_point due;
    cluster::backoff delay;
  };

  std::map<key, entry>::iterator find_attempt(uint64_t attempt);

  uint64_t seed_;
  uint64_t next_attempt_ = 1;
  std::map<key, entry> entries_;
  /// The target of each attempt in flight.
  std::map<uint64_t, dial_target> flying_;
};

} // namespace presence::cluster

#pragma once

// A TCP relay on loopback for the multi-process tests: accepts on a port of
// its own and forwards each connection to a target port. Frozen, it stops
// moving bytes but keeps every connection open, which is what a link that
// fails silently (a cable pulled, a stalled middlebox) looks like to both
// ends: no reset, no data, only heartbeats that stop arriving.

#include <atomic>
#include <cstdint>
#include <thread>

namespace test {

class tcp_relay {
public:
  /// Listens on a free loopback port and forwards to 127.0.0.1:`target`.
  explicit tcp_relay(uint16_t target);

  /// Stops forwarding and closes every connection.
  ~tcp_relay();

  tcp_relay(const tcp_relay&) = delete;
  tcp_relay& operator=(const tcp_relay&) = delete;

  uint16_t port() const noexcept {
    return port_;
  }

  /// Stops (true) or resumes (false) moving bytes.
  void freeze(bool on) {
    frozen_ = on;
  }

private:
  void run();

  uint16_t target_;
  uint16_t port_ = 0;
  int listener_ = -1;
  std::atomic<bool> frozen_{false};
  std::atomic<bool> done_{false};
  std::thread worker_;
};

} // namespace test

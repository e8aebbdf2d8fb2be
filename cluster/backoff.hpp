#pragma once

// Retry delays for dialing a peer: doubling from `first` to `cap`, each
// shortened by a random share of up to `jitter` so that nodes restarted
// together do not dial in lockstep. Pure: the random numbers come from a
// seeded generator, so a test sees the same sequence every run.

#include <cstdint>
#include <random>

#include <caf/timespan.hpp>

namespace presence::cluster {

class backoff {
public:
  /// `jitter_percent` of each delay is random (0 to 100).
  backoff(caf::timespan first, caf::timespan cap, uint32_t jitter_percent,
          uint64_t seed);

  /// 100ms doubling to 5s, with 20% jitter.
  explicit backoff(uint64_t seed);

  /// The next delay: in [base * (100 - jitter) / 100, base], where base is
  /// `first` doubled once per earlier call, at most `cap`.
  caf::timespan next();

  /// The base of the next delay (without jitter).
  caf::timespan base() const noexcept {
    return base_;
  }

  /// Starts over at `first`, after a success.
  void reset() noexcept {
    base_ = first_;
  }

private:
  caf::timespan first_;
  caf::timespan cap_;
  uint32_t jitter_percent_;
  caf::timespan base_;
  std::mt19937_64 rng_;
};

} // namespace presence::cluster

#include "cluster/backoff.hpp"

#include <algorithm>

namespace presence::cluster {

backoff::backoff(caf::timespan first, caf::timespan cap,
                 uint32_t jitter_percent, uint64_t seed)
  : first_(std::max(first, caf::timespan{1})),
    cap_(std::max(cap, first_)),
    jitter_percent_(std::min(jitter_percent, uint32_t{100})),
    base_(first_),
    rng_(seed) {
  // nop
}

backoff::backoff(uint64_t seed)
  : backoff(std::chrono::milliseconds(100), std::chrono::seconds(5), 20,
            seed) {
  // nop
}

caf::timespan backoff::next() {
  auto base = base_;
  base_ = base_ >= cap_ / 2 ? cap_ : base_ * 2;
  auto span = static_cast<uint64_t>(base.count()) * jitter_percent_ / 100;
  // Integer math, so the sequence is the same with any standard library.
  auto cut = span == 0 ? uint64_t{0} : rng_() % (span + 1);
  return base - caf::timespan{static_cast<caf::timespan::rep>(cut)};
}

} // namespace presence::cluster

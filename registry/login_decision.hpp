#pragma once

// A login policy's decision, in one place: whether a new session may join
// and which of the user's sessions it replaces. The user actor decides over
// its own sessions plus, in a cluster, the user's sessions other nodes own;
// the registry decides alone when the user is online only through other
// nodes (docs/design.md, "Login policies in a cluster").

#include <cstddef>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "presence/error.hpp"
#include "presence/login_policy.hpp"

namespace presence::detail {

/// Whether a new session joins a user with `n` sessions without a look at
/// them: no policy, or under its limit. A user with many sessions must not
/// pay for each of them on every login.
inline bool admits_at_once(const login_policy& p, size_t n) noexcept {
  return !p.one_per_device
         && (p.max_sessions <= 0 || n < static_cast<size_t>(p.max_sessions));
}

/// Decides a new session on `device` for a user whose sessions are seats
/// 0..n-1: `device_of(i)` and `time_of(i)` (its connect time) describe seat
/// `i`, `earlier(i, j)` orders two seats with equal connect times. Under
/// `replace`, marks the seats to kick in `victim` (size n): those of the same
/// device type, then the oldest until the new one fits. Under `reject`, a
/// break of the policy is the answer (`device_taken`, `too_many_sessions`)
/// and nothing is marked.
template <class DeviceOf, class TimeOf, class Earlier>
caf::error decide_login(const login_policy& p, size_t n, DeviceOf device_of,
                        TimeOf time_of, Earlier earlier,
                        const std::string& device, std::vector<bool>& victim) {
  victim.assign(n, false);
  size_t victims = 0;
  if (p.one_per_device) {
    for (size_t k = 0; k < n; ++k)
      if (device_of(k) == device) {
        victim[k] = true;
        ++victims;
      }
    if (victims > 0 && p.on_limit == limit_action::reject) {
      victim.assign(n, false);
      return make_error(error::device_taken,
                        "device type \"" + device + "\" has a session");
    }
  }
  if (p.max_sessions <= 0)
    return caf::none;
  auto max = static_cast<size_t>(p.max_sessions);
  while (n - victims + 1 > max) {
    if (p.on_limit == limit_action::reject) {
      victim.assign(n, false);
      return make_error(error::too_many_sessions,
                        "at most " + std::to_string(max)
                          + " sessions per user");
    }
    size_t oldest = n;
    for (size_t k = 0; k < n; ++k)
      if (!victim[k]
          && (oldest == n || time_of(k) < time_of(oldest)
              || (time_of(k) == time_of(oldest) && earlier(k, oldest))))
        oldest = k;
    victim[oldest] = true;
    ++victims;
  }
  return caf::none;
}

} // namespace presence::detail

#pragma once

// The registry's idle wheel: the next idle check of every user, filed by due
// slot (slot = time / granularity, rounded up), so that one delayed message
// per slot drives all of them. In CAF 0.17 every delayed message wakes the
// clock thread; one per user made each check costly at a million users
// (docs/design.md, "Session lifecycle").

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

namespace presence::detail {

/// One user's next idle check. The actor id tells a stale entry (the user
/// went offline and came back with a new actor, which has its own entry)
/// from a live one without holding a reference to the actor.
struct idle_check {
  std::string login_id;
  caf::actor_id actor;
};

class idle_wheel {
public:
  using time_point = caf::actor_clock::time_point;

  /// Checks run at most one `granularity` after they are due.
  explicit idle_wheel(caf::timespan granularity = caf::timespan{1})
    : granularity_(granularity.count() > 0 ? granularity : caf::timespan{1}) {
  }

  /// The granularity for an idle timeout: expiry at most 1/64 of the
  /// timeout late, and at most 1 s.
  static caf::timespan granularity_for(caf::timespan idle_timeout);

  /// Files `check` at `due`, rounded up to its slot. Returns when that slot
  /// is due if the slot is new (the caller schedules one tick for it), else
  /// nothing (a tick is already on its way).
  std::optional<time_point> file(idle_check check, time_point due);

  /// Takes every check whose slot has come by `now`, earliest slot first.
  std::vector<idle_check> take_due(time_point now);

  bool empty() const noexcept {
    return slots_.empty();
  }

  caf::timespan granularity() const noexcept {
    return granularity_;
  }

private:
  int64_t slot_of(time_point t) const noexcept {
    auto g = granularity_.count();
    return (t.time_since_epoch().count() + g - 1) / g;
  }

  caf::timespan granularity_;
  std::map<int64_t, std::vector<idle_check>> slots_;
};

} // namespace presence::detail

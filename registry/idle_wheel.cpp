#include "registry/idle_wheel.hpp"

#include <algorithm>
#include <chrono>

namespace presence::detail {

caf::timespan idle_wheel::granularity_for(caf::timespan idle_timeout) {
  return std::clamp<caf::timespan>(idle_timeout / 64,
                                   std::chrono::milliseconds(1),
                                   std::chrono::seconds(1));
}

std::optional<idle_wheel::time_point> idle_wheel::file(idle_check check,
                                                       time_point due) {
  auto slot = slot_of(due);
  auto [i, added] = slots_.try_emplace(slot);
  i->second.push_back(std::move(check));
  if (!added)
    return std::nullopt;
  return time_point{caf::timespan{slot * granularity_.count()}};
}

std::vector<idle_check> idle_wheel::take_due(time_point now) {
  auto current = now.time_since_epoch().count() / granularity_.count();
  std::vector<idle_check> result;
  while (!slots_.empty() && slots_.begin()->first <= current) {
    auto& due = slots_.begin()->second;
    if (result.empty())
      result = std::move(due);
    else
      std::move(due.begin(), due.end(), std::back_inserter(result));
    slots_.erase(slots_.begin());
  }
  return result;
}

} // namespace presence::detail

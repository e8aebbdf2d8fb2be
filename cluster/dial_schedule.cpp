#include "cluster/dial_schedule.hpp"

#include <algorithm>

namespace presence::cluster {

dial_schedule::dial_schedule(uint64_t seed) : seed_(seed) {
  // nop
}

void dial_schedule::add(const std::string& host, uint16_t port,
                        time_point due) {
  auto [i, added] = entries_.emplace(
    key{host, port}, entry{0, due, cluster::backoff{seed_ + entries_.size()}});
  if (!added && i->second.attempt == 0)
    i->second.due = std::min(i->second.due, due);
}

std::vector<dial_target> dial_schedule::take_due(time_point now) {
  std::vector<dial_target> result;
  for (auto& [k, e] : entries_) {
    if (e.attempt != 0 || e.due > now)
      continue;
    e.attempt = next_attempt_++;
    dial_target t{e.attempt, k.first, k.second};
    flying_.emplace(e.attempt, t);
    result.push_back(std::move(t));
  }
  return result;
}

std::map<dial_schedule::key, dial_schedule::entry>::iterator
dial_schedule::find_attempt(uint64_t attempt) {
  auto i = flying_.find(attempt);
  if (i == flying_.end())
    return entries_.end();
  auto j = entries_.find(key{i->second.host, i->second.port});
  flying_.erase(i);
  return j != entries_.end() && j->second.attempt == attempt ? j
                                                             : entries_.end();
}

void dial_schedule::failed(uint64_t attempt, time_point now) {
  auto i = find_attempt(attempt);
  if (i == entries_.end())
    return;
  auto& e = i->second;
  e.attempt = 0;
  e.due = now + e.delay.next();
}

void dial_schedule::linked(uint64_t attempt) {
  auto i = find_attempt(attempt);
  if (i != entries_.end())
    entries_.erase(i);
}

const dial_target* dial_schedule::in_flight(uint64_t attempt) const {
  auto i = flying_.find(attempt);
  return i != flying_.end() ? &i->second : nullptr;
}

dial_schedule::time_point dial_schedule::next_due() const {
  auto result = time_point::max();
  for (auto& [k, e] : entries_)
    if (e.attempt == 0)
      result = std::min(result, e.due);
  return result;
}

} // namespace presence::cluster

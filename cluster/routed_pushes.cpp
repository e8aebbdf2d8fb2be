#include "cluster/routed_pushes.hpp"

#include <algorithm>

namespace presence::cluster {

uint64_t routed_pushes::add(std::string node, uint64_t ticket,
                            time_point deadline) {
  auto id = next_id_++;
  open_.emplace(id, entry{std::move(node), ticket, deadline});
  return id;
}

bool routed_pushes::take(const std::string& node, uint64_t id, entry& out) {
  auto i = open_.find(id);
  if (i == open_.end() || i->second.node != node)
    return false;
  out = std::move(i->second);
  open_.erase(i);
  return true;
}

std::vector<routed_pushes::entry>
routed_pushes::take_all(const std::string& node) {
  std::vector<entry> out;
  for (auto i = open_.begin(); i != open_.end();) {
    if (i->second.node == node) {
      out.push_back(std::move(i->second));
      i = open_.erase(i);
    } else {
      ++i;
    }
  }
  return out;
}

std::vector<routed_pushes::entry> routed_pushes::take_expired(time_point now) {
  std::vector<entry> out;
  while (!open_.empty() && open_.begin()->second.deadline <= now) {
    out.push_back(std::move(open_.begin()->second));
    open_.erase(open_.begin());
  }
  return out;
}

size_t routed_pushes::open(const std::string& node) const {
  return static_cast<size_t>(
    std::count_if(open_.begin(), open_.end(),
                  [&](const auto& kv) { return kv.second.node == node; }));
}

} // namespace presence::cluster

#include "cluster/membership.hpp"

namespace presence {

std::string to_string(peer_state x) {
  switch (x) {
    case peer_state::up:
      return "up";
    case peer_state::stale:
      return "stale";
    case peer_state::down:
      return "down";
  }
  return "unknown";
}

} // namespace presence

namespace presence::cluster {

membership::membership(node_address self, size_t window_bytes)
  : self_(std::move(self)), window_bytes_(window_bytes) {
  // nop
}

membership::join_kind membership::joined(const node_address& x,
                                         caf::actor handle) {
  auto& p = peers_[x.node];
  auto addr = handle.address();
  if (p.state != peer_state::down && p.address.incarnation == x.incarnation
      && p.handle == handle)
    return join_kind::again;
  auto kind = p.state != peer_state::down
                  && p.address.incarnation != x.incarnation
                ? join_kind::new_incarnation
                : join_kind::fresh;
  if (p.handle)
    by_actor_.erase(p.handle.address());
  p.address = x;
  p.state = peer_state::up;
  p.handle = std::move(handle);
  p.announced = 0;
  p.window = peer_window{window_bytes_};
  by_actor_[addr] = x.node;
  return kind;
}

std::optional<std::string> membership::lost(const caf::actor_addr& addr) {
  auto i = by_actor_.find(addr);
  if (i == by_actor_.end())
    return std::nullopt;
  auto name = i->second;
  by_actor_.erase(i);
  auto& p = peers_[name];
  p.state = peer_state::down;
  p.handle = nullptr;
  return name;
}

membership::peer* membership::find(const caf::actor_addr& addr) {
  auto i = by_actor_.find(addr);
  return i != by_actor_.end() ? find(i->second) : nullptr;
}

membership::peer* membership::find(const std::string& node) {
  auto i = peers_.find(node);
  if (i == peers_.end() || i->second.state == peer_state::down)
    return nullptr;
  return &i->second;
}

const node_address* membership::address_of(const std::string& node) const {
  auto i = peers_.find(node);
  return i != peers_.end() ? &i->second.address : nullptr;
}

bool membership::learn(const node_address& x) {
  if (x.node == self_.node)
    return false;
  auto i = peers_.find(x.node);
  if (i == peers_.end()) {
    peers_[x.node].address = x;
    return true;
  }
  auto& p = i->second;
  if (p.state != peer_state::down)
    return p.address.incarnation != x.incarnation;
  // A down node: remember where it says it is now.
  auto changed = !(p.address == x);
  p.address = x;
  return changed;
}

std::vector<node_address> membership::gossip() const {
  std::vector<node_address> result{self_};
  for (auto& [name, p] : peers_)
    if (p.state != peer_state::down)
      result.push_back(p.address);
  return result;
}

std::vector<const membership::peer*> membership::linked() const {
  std::vector<const peer*> result;
  for (auto& [name, p] : peers_)
    if (p.state != peer_state::down)
      result.push_back(&p);
  return result;
}

std::vector<membership::peer*> membership::linked() {
  std::vector<peer*> result;
  for (auto& [name, p] : peers_)
    if (p.state != peer_state::down)
      result.push_back(&p);
  return result;
}

std::vector<member_info> membership::members(
  const std::map<std::string, uint64_t>& applied_seq) const {
  std::vector<member_info> result;
  result.push_back(member_info{self_.node, self_.host, self_.port,
                               self_.incarnation, peer_state::up, 0, true});
  for (auto& [name, p] : peers_) {
    member_info info{name,   p.address.host, p.address.port,
                     p.address.incarnation, p.state, 0, false};
    if (p.state != peer_state::down) {
      auto i = applied_seq.find(name);
      auto applied = i != applied_seq.end() ? i->second : 0;
      info.lag = p.announced > applied ? p.announced - applied : 0;
      info.window_bytes = p.window.unacked();
      if (p.window.stale())
        info.state = peer_state::stale;
    }
    result.push_back(std::move(info));
  }
  return result;
}

size_t membership::up_count() const noexcept {
  size_t n = 0;
  for (auto& [name, p] : peers_)
    n += p.state != peer_state::down ? 1 : 0;
  return n;
}

} // namespace presence::cluster

#pragma once

// Writes this node's cluster actor forwarded to a peer as requests on the
// registry's behalf, by peer (docs/design.md, "Forwarded writes"; routed
// pushes use cluster/routed_pushes.hpp instead). CAF 0.17 sends
// nothing when a remote actor's node is lost while a request to it is in
// flight: the request would wait for its timeout. So the cluster actor keeps
// each one's response promise under the peer's name and fails them all at
// once when it loses the peer.

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <caf/error.hpp>
#include <caf/response_promise.hpp>

namespace presence::cluster {

class peer_requests {
public:
  /// Keeps `rp` for a request to `node`; returns its id (never 0).
  uint64_t add(const std::string& node, caf::response_promise rp) {
    auto id = next_id_++;
    open_[node].emplace(id, std::move(rp));
    return id;
  }

  /// The promise of request `id` to `node`, taken out; false if it is no
  /// longer open (its peer was lost and it failed already).
  bool take(const std::string& node, uint64_t id, caf::response_promise& out) {
    auto i = open_.find(node);
    if (i == open_.end())
      return false;
    auto j = i->second.find(id);
    if (j == i->second.end())
      return false;
    out = std::move(j->second);
    i->second.erase(j);
    if (i->second.empty())
      open_.erase(i);
    return true;
  }

  /// Fails every request open to `node` with `err`, oldest first.
  void fail(const std::string& node, const caf::error& err) {
    auto i = open_.find(node);
    if (i == open_.end())
      return;
    auto xs = std::move(i->second);
    open_.erase(i);
    for (auto& kv : xs)
      kv.second.deliver(err);
  }

  /// Requests open to `node`.
  size_t open(const std::string& node) const {
    auto i = open_.find(node);
    return i == open_.end() ? 0 : i->second.size();
  }

private:
  uint64_t next_id_ = 1;
  std::map<std::string, std::map<uint64_t, caf::response_promise>> open_;
};

} // namespace presence::cluster

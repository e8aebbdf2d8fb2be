#pragma once

// The names of the nodes that own sessions in the table. A record keeps a
// 4-byte owner id, not its node's name; this map turns one into the other
// when a session is shown (online_user::node). Ids are handed out from 1 in
// the order nodes are first seen and never reused, so a record's id stays
// valid however nodes come and go. The registry writes it under the view's
// write lock; facades read it under the shared lock.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "registry/owner.hpp"

namespace presence::detail {

class node_names {
public:
  /// The id `find` answers for a node it does not know.
  static constexpr owner_id unknown = UINT32_MAX;

  node_names() : names_(1) {
  }

  /// The node's name ("" for this node until a cluster attaches, and for an
  /// id nobody handed out).
  const std::string& name_of(owner_id id) const noexcept {
    return id < names_.size() ? names_[id] : none_;
  }

  /// The id of `node`, or `unknown`.
  owner_id find(const std::string& node) const {
    auto i = ids_.find(node);
    return i == ids_.end() ? unknown : i->second;
  }

  /// The id of `node`, a new one if it has none yet. Precondition: `node` is
  /// not this node's name.
  owner_id id_of(const std::string& node) {
    if (auto id = find(node); id != unknown)
      return id;
    auto id = static_cast<owner_id>(names_.size());
    names_.push_back(node);
    ids_.emplace(node, id);
    return id;
  }

  /// Names this node (the cluster attached).
  void set_local(std::string node) {
    names_[local_owner] = std::move(node);
  }

  const std::string& local() const noexcept {
    return names_[local_owner];
  }

  /// Remote nodes known so far.
  size_t remote_count() const noexcept {
    return names_.size() - 1;
  }

private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, owner_id> ids_;
  std::string none_;
};

} // namespace presence::detail

#pragma once

// The registry's subscribers of one kind (pushers, or presence event
// subscribers), in subscription order. Monitoring them is the actor's job:
// add() and remove() say when to start and stop.

#include <algorithm>
#include <vector>

#include <caf/actor_addr.hpp>

namespace presence::detail {

template <class Handle>
class member_list {
public:
  struct member {
    Handle handle;
    caf::actor_id id;
  };

  /// Adds `h` unless it is a member already; true if it was added.
  bool add(const Handle& h) {
    if (contains(h.id()))
      return false;
    members_.push_back(member{h, h.id()});
    return true;
  }

  /// Removes the member with actor id `id`; false if there was none.
  bool remove(caf::actor_id id) {
    auto i = std::find_if(members_.begin(), members_.end(),
                          [id](const member& x) { return x.id == id; });
    if (i == members_.end())
      return false;
    members_.erase(i);
    return true;
  }

  bool contains(caf::actor_id id) const {
    return std::any_of(members_.begin(), members_.end(),
                       [id](const member& x) { return x.id == id; });
  }

  bool empty() const noexcept {
    return members_.empty();
  }

  size_t size() const noexcept {
    return members_.size();
  }

  auto begin() const noexcept {
    return members_.begin();
  }

  auto end() const noexcept {
    return members_.end();
  }

private:
  std::vector<member> members_;
};

} // namespace presence::detail

// The in-memory pusher's actor: keeps the last messages per login id.

#include <deque>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "presence/in_memory_pusher.hpp"

namespace presence {

namespace {

struct in_memory_state {
  static inline const char* name = "presence.in_memory_pusher";
  size_t cap = 0;
  uint64_t dropped = 0;
  std::unordered_map<std::string, std::deque<push_message>> messages;
};

in_memory_pusher_actor::behavior_type
in_memory_behavior(in_memory_pusher_actor::stateful_pointer<in_memory_state> self,
                   size_t cap) {
  self->state.cap = cap;
  return {
    [=](deliver_atom, const delivery_batch& batch) {
      auto& st = self->state;
      // Kept once per user (not per session): the store answers "what did
      // this user receive", in order.
      for (auto& d : batch.deliveries) {
        auto& queue = st.messages[d.login_id];
        queue.push_back(batch.message_of(d));
        while (queue.size() > st.cap) {
          queue.pop_front();
          ++st.dropped;
        }
      }
    },
    [=](get_messages_atom, const std::string& login_id) {
      std::vector<push_message> result;
      auto i = self->state.messages.find(login_id);
      if (i != self->state.messages.end())
        result.assign(i->second.begin(), i->second.end());
      return result;
    },
    [=](clear_messages_atom, const std::string& login_id) -> uint64_t {
      auto i = self->state.messages.find(login_id);
      if (i == self->state.messages.end())
        return 0;
      auto n = i->second.size();
      self->state.messages.erase(i);
      return n;
    },
    [=](dropped_atom) -> uint64_t { return self->state.dropped; },
  };
}

} // namespace

in_memory_pusher_actor spawn_in_memory_pusher(caf::actor_system& sys,
                                              size_t cap_per_user) {
  return sys.spawn(in_memory_behavior, cap_per_user == 0 ? size_t{1}
                                                         : cap_per_user);
}

} // namespace presence

#include "actors/user_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/session_ops.hpp"

namespace presence::detail {

namespace {

// What the user actor keeps per session. Metadata lives only in the registry's
// published table: the actor decides, the table shows.
struct session_slot {
  std::string token;
  std::string device;
  caf::timestamp connect_time;
  caf::timestamp last_activity;

  static session_slot of(const online_user& x) {
    return {x.token, x.device, x.connect_time, x.last_activity};
  }
};

// No login id: the registry remembers which user a ticket belongs to, and
// 32 bytes a user add up at a million users.
struct user_state {
  registry_actor registry;
  std::vector<session_slot> sessions;
  static inline const char* name = "presence.user";
};

using user_pointer = user_actor::stateful_pointer<user_state>;

user_actor::behavior_type user_behavior(user_pointer self,
                                        registry_actor registry,
                                        online_user first) {
  self->state.registry = std::move(registry);
  self->state.sessions.reserve(1);
  self->state.sessions.emplace_back(session_slot::of(first));
  return {
    [=](apply_atom, user_command& cmd) {
      auto& st = self->state;
      // Copies the record: the command goes back to the registry whole.
      auto result = apply_change(st.sessions, cmd.kind, cmd.session,
                                 session_slot::of);
      if (cmd.ticket != 0)
        self->send(st.registry, update_atom::value,
                   user_update{cmd.ticket, result, cmd.kind,
                               std::move(cmd.session)});
      if (st.sessions.empty())
        self->quit();
    },
  };
}

} // namespace

user_actor spawn_user(caf::actor_system& sys, registry_actor registry,
                      online_user first) {
  return sys.spawn<caf::lazy_init>(user_behavior, std::move(registry),
                                   std::move(first));
}

} // namespace presence::detail

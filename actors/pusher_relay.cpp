#include "actors/pusher_relay.hpp"

#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

namespace presence::detail {

namespace {

struct relay_state {
  static inline const char* name = "presence.pusher_relay";
  registry_internal_actor registry;
  caf::actor pusher;
  /// Waiting for the predecessor's go; batches wait in `stash` meanwhile.
  bool waiting = false;
  std::vector<caf::message> stash;
  /// Told to go once this relay has requested everything it holds.
  caf::actor successor;
  /// Told to exit while waiting: exits once it had its go.
  caf::error exit_reason;
  bool exiting = false;
};

using relay_pointer = caf::stateful_actor<relay_state>*;

/// `msg` is (deliver_atom, delivery_batch).
void request_batch(relay_pointer self, caf::message msg) {
  auto id = msg.get_as<delivery_batch>(1).id;
  // No request timeout: the registry times batches out itself (one delayed
  // message for all of them, see push_pipeline::expire).
  auto reg = self->state.registry;
  self->request(self->state.pusher, caf::infinite, std::move(msg))
    .then([=]() { self->send(reg, pushed_atom::value, id, caf::error{}); },
          [=](caf::error& err) {
            self->send(reg, pushed_atom::value, id, std::move(err));
          });
}

void pass_go(relay_pointer self) {
  if (self->state.successor) {
    self->send(self->state.successor, relay_go_atom::value);
    self->state.successor = nullptr;
  }
}

caf::behavior relay_behavior(relay_pointer self, registry_internal_actor registry,
                             caf::actor pusher, bool await_go) {
  auto& st = self->state;
  st.registry = std::move(registry);
  st.pusher = std::move(pusher);
  st.waiting = await_go;
  // An exit frees the response handlers of the batches the pusher never
  // answered. A relay still waiting for its go first hands on its batches
  // (they timed out at the registry, but the pusher gets every batch, in
  // order), then lets its successor start.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (self->state.waiting) {
      self->state.exiting = true;
      self->state.exit_reason = std::move(msg.reason);
      return;
    }
    pass_go(self);
    self->quit(std::move(msg.reason));
  });
  return {
    [=](deliver_atom, const delivery_batch&) {
      // The registry sends one message to every relay: hand on that message
      // (reference counted), not a copy of the batch.
      auto msg = self->current_mailbox_element()->copy_content_to_message();
      if (self->state.waiting)
        self->state.stash.push_back(std::move(msg));
      else
        request_batch(self, std::move(msg));
    },
    [=](relay_go_atom) {
      auto& st = self->state;
      st.waiting = false;
      for (auto& msg : st.stash)
        request_batch(self, std::move(msg));
      st.stash.clear();
      pass_go(self);
      if (st.exiting)
        self->quit(std::move(st.exit_reason));
    },
    [=](relay_handover_atom, caf::actor& next) {
      self->state.successor = std::move(next);
      if (!self->state.waiting)
        pass_go(self);
    },
  };
}

} // namespace

caf::actor spawn_pusher_relay(caf::actor_system& sys, registry_internal_actor registry,
                              pusher_actor pusher, bool await_go) {
  return sys.spawn(relay_behavior, std::move(registry),
                   caf::actor_cast<caf::actor>(std::move(pusher)), await_go);
}

} // namespace presence::detail

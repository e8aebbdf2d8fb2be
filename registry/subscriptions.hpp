#pragma once

// Who subscribed to the registry: pushers (each fed by a relay in relay_set)
// and presence event subscribers (who get the event outbox's batches). The
// facade's register_pusher and the typed interface's subscribe_atom are the
// same act. Watching members is the callee's job: a member that dies leaves
// through on_down.

#include <caf/actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/message.hpp>

#include "presence/actor_interfaces.hpp"
#include "presence/error.hpp"
#include "presence/detail/protocol.hpp"
#include "registry/client_replies.hpp"
#include "registry/event_outbox.hpp"
#include "registry/member_list.hpp"
#include "registry/relay_set.hpp"

namespace presence::detail {

class push_routing;

class subscriptions {
public:
  class callee {
  public:
    virtual ~callee() = default;
    virtual caf::actor_clock::time_point now() = 0;
    virtual void monitor(const caf::actor& member) = 0;
    virtual void demonitor(const caf::actor& member) = 0;
    /// Sends `msg` (a batch of presence events) to `subscriber`.
    virtual void send_to(const caf::actor& subscriber, const caf::message& msg)
      = 0;
  };

  subscriptions(callee& owner, client_replies& replies, relay_set& relays,
                push_routing& routing, event_outbox& events)
    : owner_(owner),
      replies_(replies),
      relays_(relays),
      routing_(routing),
      events_(events) {
  }

  /// subscribe or unsubscribe a pusher.
  void change_pusher(client_op&& op, reply_target&& rt);

  /// subscribe_events or unsubscribe_events.
  void change_subscriber(client_op&& op, reply_target&& rt);

  /// A watched actor is down: a pusher's batches fail and its relays go; a
  /// subscriber leaves.
  void on_down(caf::actor_id id, const caf::error& reason);

  /// Sends the waiting presence events to every subscriber.
  void flush_events();

  /// Under a steady stream of work the flush message waits behind it; this
  /// bounds how long a subscriber waits for events.
  void maybe_flush_events() {
    if (events_.overdue(owner_.now()))
      flush_events();
  }

  bool events_on() const noexcept {
    return !subscribers_.empty();
  }

  const member_list<pusher_actor>& pushers() const noexcept {
    return pushers_;
  }

  const member_list<event_subscriber_actor>& subscribers() const noexcept {
    return subscribers_;
  }

private:
  /// The handle in `op`, or null after failing `rt` with `invalid`.
  template <class Handle>
  Handle member_of(client_op& op, reply_target& rt, error invalid);

  callee& owner_;
  client_replies& replies_;
  relay_set& relays_;
  push_routing& routing_;
  event_outbox& events_;
  member_list<pusher_actor> pushers_;
  member_list<event_subscriber_actor> subscribers_;
};

} // namespace presence::detail

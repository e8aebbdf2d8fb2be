#include "registry/subscriptions.hpp"

#include <caf/make_message.hpp>

#include "presence/error.hpp"
#include "registry/has_terminated.hpp"
#include "registry/push_routing.hpp"

namespace presence::detail {

namespace {

bool subscribing(op_kind kind) {
  return kind == op_kind::subscribe || kind == op_kind::subscribe_events;
}

} // namespace

/// Subscribing also refuses an actor that has already terminated: its down
/// message would drop it at once, so "subscribed" would be a lie (README,
/// "Pushers"). One that dies later is dropped by its monitor.
template <class Handle>
Handle subscriptions::member_of(client_op& op, reply_target& rt,
                                error invalid) {
  auto h = caf::actor_cast<Handle>(op.actor);
  if (!h) {
    replies_.fail(rt, make_error(invalid));
  } else if (subscribing(op.kind) && has_terminated(op.actor)) {
    replies_.fail(rt, make_error(invalid, "the actor has terminated"));
    return Handle{};
  }
  return h;
}

void subscriptions::change_pusher(client_op&& op, reply_target&& rt) {
  auto p = member_of<pusher_actor>(op, rt, error::invalid_pusher);
  if (!p)
    return;
  if (subscribing(op.kind)) {
    auto added = pushers_.add(p);
    if (added) {
      owner_.monitor(op.actor);
      relays_.add(p);
    }
    replies_.complete(rt, change_result{change_status::subscribed, 0, 0});
    if (added && pushers_.size() == 1)
      routing_.pushers_ready();
    return;
  }
  auto removed = pushers_.remove(p.id());
  if (removed) {
    owner_.demonitor(op.actor);
    // Batches already sent still wait for its answers (or their timeout).
    relays_.drain(p.id(), false);
  }
  auto status = removed ? change_status::unsubscribed
                        : change_status::unknown_pusher;
  replies_.complete(rt, change_result{status, 0, 0});
}

void subscriptions::change_subscriber(client_op&& op, reply_target&& rt) {
  auto s = member_of<event_subscriber_actor>(op, rt,
                                             error::invalid_subscriber);
  if (!s)
    return;
  // A new subscriber starts on a clean batch (events before it are not
  // replayed); a leaving one still gets what happened while it subscribed.
  flush_events();
  if (subscribing(op.kind)) {
    if (subscribers_.add(s))
      owner_.monitor(op.actor);
    replies_.complete(rt, change_result{change_status::subscribed, 0, 0});
    return;
  }
  auto removed = subscribers_.remove(s.id());
  if (removed)
    owner_.demonitor(op.actor);
  auto status = removed ? change_status::unsubscribed
                        : change_status::unknown_subscriber;
  replies_.complete(rt, change_result{status, 0, 0});
}

void subscriptions::on_down(caf::actor_id id, const caf::error& reason) {
  subscribers_.remove(id);
  if (pushers_.remove(id))
    relays_.on_pusher_down(id, reason);
}

void subscriptions::flush_events() {
  auto batch = events_.take(owner_.now());
  if (batch.events.empty())
    return;
  // One message shared by every subscriber.
  auto msg = caf::make_message(presence_events_atom::value, std::move(batch));
  for (auto& s : subscribers_)
    owner_.send_to(caf::actor_cast<caf::actor>(s.handle), msg);
}

} // namespace presence::detail

// session_changes: idle expiry (docs/design.md, "Session lifecycle"). The
// registry's idle wheel says when a user's actor is due for a check; the
// actor decides what expired and the table follows its answer. Idle expiry
// stays with a session's owner: only this node's sessions have an actor.

#include "registry/session_changes.hpp"

#include <algorithm>

#include "registry/has_terminated.hpp"

namespace presence::detail {

/// The actor owns its sessions, so its decision stands; the table follows in
/// the actor's order (updates from one actor arrive in order).
void session_changes::on_expired(user_update& u, caf::actor_id from) {
  auto e = entry_of(u.session.login_id, from);
  if (e == nullptr)
    return; // The user went offline meanwhile; the expiry changed nothing.
  // This answer ends the chain's current check; it continues below if the
  // actor still has sessions.
  e->check_armed = false;
  if (!u.tokens.empty())
    bump(view_.counters.expiries,
         remove_where(*e, local_token_in{&u.tokens}, event_kind::expired, "idle",
                      nullptr)
           .removed);
  if (u.next_check.count() > 0)
    arm_idle_check(*e, time_point{u.next_check});
  // While a forwarded call is in flight the (empty) entry stays: the actor's
  // answer will refill it or on_join_answer retires it.
  if (e->sessions.empty() && e->pending == 0)
    retire_user(*e);
  else if (e->pending == 0 && !has_local_session(*e))
    release_actor(*e);
}

/// An idle check found the user's actor gone: the user's sessions are lost
/// and the user goes offline, with events. With a login in flight,
/// on_join_failed cleans up.
void session_changes::on_check_failed(const std::string& login_id,
                                      caf::actor_id actor) {
  auto e = view_.table.find(login_id);
  if (e == nullptr || !e->actor || e->actor.id() != actor || e->pending > 0)
    return;
  drop_lost_user(*e);
}

// -- idle wheel ---------------------------------------------------------------

/// Files the user's next idle check at `due`, rounded up to the wheel's
/// granularity: a session expires at most one slot after its deadline.
void session_changes::arm_idle_check(user_entry& e, time_point due) {
  if (idle_timeout_.count() <= 0 || !e.actor)
    return;
  e.check_armed = true;
  if (auto at = wheel_.file(idle_check{e.login_id, e.actor.id()}, due))
    owner_.tick_after(
      std::max<caf::timespan>(*at - owner_.now(), caf::timespan{0}));
}

void session_changes::on_tick() {
  for (auto& c : wheel_.take_due(owner_.now())) {
    auto e = view_.table.find(c.login_id);
    if (e == nullptr || !e->actor || e->actor.id() != c.actor)
      continue;
    // A plain send, not a request (a response handler each; docs/design.md,
    // "Session lifecycle"). An actor that died would drop the check and end
    // the chain: catch that here, so its user still goes offline.
    if (has_terminated(e->actor)) {
      on_check_failed(c.login_id, c.actor);
      continue;
    }
    owner_.check_idle(e->actor, std::move(c.login_id));
  }
}

} // namespace presence::detail

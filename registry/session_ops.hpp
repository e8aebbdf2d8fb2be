#pragma once

// The semantics of a session list, in one place. A user actor applies them to
// its own sessions; the registry applies the same functions to its replica in
// the user table, so the two can never disagree on an outcome.

#include <string>

#include <caf/timestamp.hpp>

#include "registry/session_list.hpp"
#include "presence/detail/protocol.hpp"
#include "presence/online_user.hpp"
#include "presence/results.hpp"

namespace presence::detail {

/// Adds `session` or replaces the record with the same token.
template <class Session, class Alloc>
change_result upsert_session(session_list<Session, Alloc>& xs,
                             Session session) {
  auto i = xs.find(session.token);
  if (i != xs.end()) {
    *i = std::move(session);
    return {change_status::reconnected, static_cast<uint32_t>(xs.size()), 0};
  }
  xs.push_back(std::move(session));
  return {change_status::joined, static_cast<uint32_t>(xs.size()), 0};
}

/// Which sessions a removal selects: one token (mark_offline,
/// kick_session), one device type (kick_device) or all (mark_offline_all,
/// kick). The registry and the user actor both remove with this predicate.
struct removal_selector {
  op_kind kind;
  const online_user* x;

  bool by_token() const noexcept {
    return kind == op_kind::mark_offline || kind == op_kind::kick_session;
  }

  template <class Session>
  bool operator()(const Session& session) const {
    switch (kind) {
      case op_kind::mark_offline:
      case op_kind::kick_session:
        return session.token == x->token;
      case op_kind::kick_device:
        return session.device == x->device;
      case op_kind::mark_offline_all:
      case op_kind::kick:
        return true;
      default:
        return false;
    }
  }
};

inline removal_selector removal_selects(op_kind kind, const online_user& x) {
  return {kind, &x};
}

/// The outcome of removing `removed` sessions, `remaining` left.
inline change_result removal_result(uint32_t removed, uint32_t remaining) {
  if (removed == 0)
    return {change_status::unknown_token, remaining, 0};
  auto status = remaining == 0 ? change_status::user_offline
                               : change_status::left;
  return {status, remaining, removed};
}

/// Removes the sessions `pred` selects, keeping the order of the others;
/// calls `on_removed` with each removed session before it goes.
template <class Session, class Alloc, class Pred, class OnRemoved>
uint32_t remove_matching(session_list<Session, Alloc>& xs, Pred pred,
                         OnRemoved on_removed) {
  return xs.remove_if(pred, on_removed);
}

/// The same for a removal_selector: a removal by token finds its session
/// through the list's index instead of testing every session.
template <class Session, class Alloc, class OnRemoved>
uint32_t remove_matching(session_list<Session, Alloc>& xs,
                         removal_selector pred, OnRemoved on_removed) {
  if (pred.by_token())
    return xs.remove_token(pred.x->token, on_removed);
  return xs.remove_if(pred, on_removed);
}

template <class Session, class Alloc, class TimePoint>
change_result touch_session(session_list<Session, Alloc>& xs,
                            const std::string& token, TimePoint now) {
  auto i = xs.find(token);
  if (i == xs.end())
    return {change_status::unknown_token, static_cast<uint32_t>(xs.size()), 0};
  i->last_activity = now;
  return {change_status::refreshed, static_cast<uint32_t>(xs.size()), 0};
}

/// Mirrors a change the registry already applied to its table: a refresh or
/// a removal, with the same functions the registry used (`touch_session`,
/// `removal_selects`). `now` is what a refresh stores as last activity (the
/// table keeps wall-clock time for display, a user actor the actor clock for
/// its idle checks). New sessions never come this way: the user actor decides
/// them itself (`join`, with the login policy), and the registry applies its
/// answer. Any other kind selects no session and changes nothing.
template <class Session, class Alloc, class TimePoint>
void mirror_change(session_list<Session, Alloc>& xs, op_kind kind,
                   const online_user& x, TimePoint now) {
  if (kind == op_kind::update_activity)
    touch_session(xs, x.token, now);
  else
    remove_matching(xs, removal_selects(kind, x), [](const Session&) {});
}

} // namespace presence::detail

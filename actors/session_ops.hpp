#pragma once

// The semantics of a session list, in one place. A user actor applies them to
// its own sessions; the registry applies the same functions to its replica in
// the user table, so the two can never disagree on an outcome.

#include <algorithm>
#include <string>
#include <vector>

#include <caf/timestamp.hpp>

#include "presence/detail/protocol.hpp"
#include "presence/online_user.hpp"
#include "presence/results.hpp"

namespace presence::detail {

template <class Session, class Alloc>
auto find_session(std::vector<Session, Alloc>& xs,
                  const std::string& token) {
  return std::find_if(xs.begin(), xs.end(),
                      [&](const Session& x) { return x.token == token; });
}

/// Adds `session` or replaces the record with the same token.
template <class Session, class Alloc>
change_result upsert_session(std::vector<Session, Alloc>& xs,
                             Session session) {
  auto i = find_session(xs, session.token);
  if (i != xs.end()) {
    *i = std::move(session);
    return {change_status::replaced, static_cast<uint32_t>(xs.size()), 0};
  }
  xs.emplace_back(std::move(session));
  return {change_status::joined, static_cast<uint32_t>(xs.size()), 0};
}

/// Which sessions a removal selects: one token (mark_offline,
/// kick_session), one device type (kick_device) or all (mark_offline_all,
/// kick). The registry and the user actor both remove with this predicate.
inline auto removal_selects(op_kind kind, const online_user& x) {
  return [kind, &x](const auto& session) {
    switch (kind) {
      case op_kind::mark_offline:
      case op_kind::kick_session:
        return session.token == x.token;
      case op_kind::kick_device:
        return session.device == x.device;
      case op_kind::mark_offline_all:
      case op_kind::kick:
        return true;
      default:
        return false;
    }
  };
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
uint32_t remove_matching(std::vector<Session, Alloc>& xs, Pred pred,
                         OnRemoved on_removed) {
  size_t kept = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (pred(xs[i])) {
      on_removed(xs[i]);
    } else {
      if (kept != i)
        xs[kept] = std::move(xs[i]);
      ++kept;
    }
  }
  auto removed = static_cast<uint32_t>(xs.size() - kept);
  xs.erase(xs.begin() + static_cast<ptrdiff_t>(kept), xs.end());
  return removed;
}

template <class Session, class Alloc, class TimePoint>
change_result touch_session(std::vector<Session, Alloc>& xs,
                            const std::string& token, TimePoint now) {
  auto i = find_session(xs, token);
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
/// answer.
template <class Session, class Alloc, class TimePoint>
change_result mirror_change(std::vector<Session, Alloc>& xs, op_kind kind,
                            const online_user& x, TimePoint now) {
  switch (kind) {
    case op_kind::update_activity:
      return touch_session(xs, x.token, now);
    case op_kind::mark_offline:
    case op_kind::mark_offline_all:
    case op_kind::kick:
    case op_kind::kick_session:
    case op_kind::kick_device: {
      auto removed = remove_matching(xs, removal_selects(kind, x),
                                     [](const Session&) {});
      return removal_result(removed, static_cast<uint32_t>(xs.size()));
    }
    default: // not a mirrored change: nothing happens
      return {change_status::unknown_token, static_cast<uint32_t>(xs.size()),
              0};
  }
}

} // namespace presence::detail

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

template <class Session>
auto find_session(std::vector<Session>& xs, const std::string& token) {
  return std::find_if(xs.begin(), xs.end(),
                      [&](const Session& x) { return x.token == token; });
}

/// Adds `session` or replaces the record with the same token.
template <class Session>
change_result upsert_session(std::vector<Session>& xs, Session session) {
  auto i = find_session(xs, session.token);
  if (i != xs.end()) {
    *i = std::move(session);
    return {change_status::replaced, static_cast<uint32_t>(xs.size()), 0};
  }
  xs.emplace_back(std::move(session));
  return {change_status::joined, static_cast<uint32_t>(xs.size()), 0};
}

/// Removes the session with `token`; order of the others is kept.
template <class Session>
change_result remove_session(std::vector<Session>& xs,
                             const std::string& token) {
  auto i = find_session(xs, token);
  if (i == xs.end())
    return {change_status::unknown_token, static_cast<uint32_t>(xs.size()), 0};
  xs.erase(i);
  auto status = xs.empty() ? change_status::user_offline : change_status::left;
  return {status, static_cast<uint32_t>(xs.size()), 1};
}

template <class Session>
change_result remove_all_sessions(std::vector<Session>& xs) {
  auto n = static_cast<uint32_t>(xs.size());
  xs.clear();
  return {change_status::user_offline, 0, n};
}

template <class Session>
change_result touch_session(std::vector<Session>& xs, const std::string& token,
                            caf::timestamp now) {
  auto i = find_session(xs, token);
  if (i == xs.end())
    return {change_status::unknown_token, static_cast<uint32_t>(xs.size()), 0};
  i->last_activity = now;
  return {change_status::refreshed, static_cast<uint32_t>(xs.size()), 0};
}

/// Applies one change to a session list: the single place that maps a
/// command to its semantics, for user actors and the registry's table alike.
/// `make_session` turns the command's online_user into a list element (for
/// mark_online); every other kind only reads its token and last activity.
template <class Session, class MakeSession>
change_result apply_change(std::vector<Session>& xs, op_kind kind,
                           online_user& x, MakeSession make_session) {
  switch (kind) {
    case op_kind::mark_online:
      return upsert_session(xs, make_session(x));
    case op_kind::mark_offline:
      return remove_session(xs, x.token);
    case op_kind::update_activity:
      return touch_session(xs, x.token, x.last_activity);
    default: // mark_offline_all, kick
      return remove_all_sessions(xs);
  }
}

} // namespace presence::detail

#include "tests/model/reference_model.hpp"

#include <algorithm>
#include <sstream>

#include "presence/error.hpp"
#include "presence/message_type.hpp"
#include "presence/validation.hpp"

namespace presence::model {

namespace {

outcome fail_with(error x) {
  outcome r;
  r.err = static_cast<uint8_t>(x);
  return r;
}

outcome changed(change_status st, uint32_t sessions, uint32_t removed) {
  outcome r;
  r.change = change_result{st, sessions, removed};
  return r;
}

// The input checks README.md lists for each operation.
error check_message(const push_message& msg) {
  if (msg.type.is_custom() && msg.type.custom_name().empty())
    return error::empty_custom_type;
  // README ("Limits"): Text, Notification and KickOut content is UTF-8.
  if ((msg.type == message_type::text()
       || msg.type == message_type::notification()
       || msg.type == message_type::kick_out())
      && !is_valid_utf8(msg.content))
    return error::invalid_utf8;
  return error::none;
}

std::string target_of(const session& s) {
  return s.token + "@" + s.device;
}

} // namespace

// -- comparisons and printing ---------------------------------------------------

bool operator==(const event& x, const event& y) {
  return x.seq == y.seq && x.kind == y.kind && x.login_id == y.login_id
         && x.token == y.token && x.device == y.device
         && x.metadata == y.metadata && x.reason == y.reason;
}

std::string to_string(const event& x) {
  std::ostringstream out;
  out << '#' << x.seq << ' ' << presence::to_string(x.kind) << ' '
      << x.login_id << '/' << x.token << '@' << x.device << " md="
      << x.metadata.size() << " reason=" << x.reason;
  return out.str();
}

bool operator==(const delivered& x, const delivered& y) {
  return x.type == y.type && x.content == y.content
         && x.sessions == y.sessions;
}

std::string to_string(const delivered& x) {
  std::string out = "[" + x.type + "] \"" + x.content + "\" ->";
  for (auto& s : x.sessions)
    out += " " + s;
  return out;
}

bool operator==(const report& x, const report& y) {
  return x.users_targeted == y.users_targeted
         && x.users_reached == y.users_reached
         && x.sessions_reached == y.sessions_reached
         && x.not_online == y.not_online && x.failed == y.failed
         && x.buffered == y.buffered && x.dropped == y.dropped;
}

std::string to_string(const report& x) {
  std::ostringstream out;
  out << "targeted=" << x.users_targeted << " reached=" << x.users_reached
      << " sessions=" << x.sessions_reached << " not_online=[";
  for (auto& s : x.not_online)
    out << s << ' ';
  out << "] failed=[";
  for (auto s : x.failed)
    out << s << ' ';
  out << "] buffered=" << x.buffered << " dropped=" << x.dropped;
  return out.str();
}

bool same_change(const change_result& x, const change_result& y) {
  return x.status == y.status && x.sessions == y.sessions
         && x.removed == y.removed;
}

std::string to_string(const change_result& x) {
  return presence::to_string(x.status) + " sessions=" + std::to_string(x.sessions)
         + " removed=" + std::to_string(x.removed);
}

// -- the model ------------------------------------------------------------------

reference_model::reference_model(size_t buffer_per_user)
  : buffer_per_user_(buffer_per_user) {
}

size_t reference_model::session_count() const noexcept {
  size_t n = 0;
  for (auto& [id, xs] : users_)
    n += xs.size();
  return n;
}

size_t reference_model::buffered_count() const noexcept {
  size_t n = 0;
  for (auto& [id, q] : buffer_)
    n += q.size();
  return n;
}

std::vector<std::string> reference_model::users() const {
  std::vector<std::string> out;
  for (auto& [id, xs] : users_)
    out.push_back(id);
  return out;
}

const std::vector<session>*
reference_model::sessions_of(const std::string& login_id) const {
  auto i = users_.find(login_id);
  return i == users_.end() ? nullptr : &i->second;
}

void reference_model::emit(event_kind kind, const std::string& login_id,
                           const session& s, const std::string& reason) {
  // Events exist only while someone listens (README: "Presence events").
  if (subscribers_.empty())
    return;
  event ev{event_seq++, kind,          login_id, s.token,
           s.device,    s.metadata, reason};
  for (auto slot : subscribers_)
    events[slot].push_back(ev);
}

void reference_model::deliver(const std::string& login_id,
                              const std::vector<session>& to,
                              const push_message& msg, report* rep) {
  if (rep != nullptr)
    ++rep->users_targeted;
  if (pushers_.empty() || to.empty())
    return;
  delivered d{presence::to_string(msg.type), msg.content, {}};
  for (auto& s : to)
    d.sessions.push_back(target_of(s));
  std::sort(d.sessions.begin(), d.sessions.end());
  bool any_ok = false;
  for (auto& p : pushers_) {
    received[p.slot][login_id].push_back(d);
    if (p.fails) {
      if (rep != nullptr)
        rep->failed.push_back(p.slot);
    } else {
      any_ok = true;
    }
  }
  if (rep != nullptr) {
    if (any_ok) {
      ++rep->users_reached;
      rep->sessions_reached += to.size();
    }
    std::sort(rep->failed.begin(), rep->failed.end());
    rep->failed.erase(std::unique(rep->failed.begin(), rep->failed.end()),
                      rep->failed.end());
  }
}

void reference_model::keep(const std::string& login_id,
                           const push_message& msg, report& rep) {
  if (buffer_per_user_ == 0) {
    ++rep.dropped;
    return;
  }
  auto& q = buffer_[login_id];
  if (q.size() >= buffer_per_user_) {
    q.pop_front();
    ++rep.dropped;
  }
  q.push_back(msg);
  ++rep.buffered;
}

void reference_model::deliver_buffered(const std::string& login_id) {
  auto i = buffer_.find(login_id);
  if (pushers_.empty() || i == buffer_.end())
    return;
  auto msgs = std::move(i->second);
  buffer_.erase(i);
  for (auto& msg : msgs)
    deliver(login_id, users_[login_id], msg, nullptr);
}

template <class Pred>
std::vector<session>
reference_model::remove(const std::string& login_id, Pred pred,
                        event_kind kind, const std::string& reason) {
  std::vector<session> removed;
  auto& xs = users_[login_id];
  std::vector<session> kept;
  for (auto& s : xs) {
    if (pred(s)) {
      emit(kind, login_id, s, reason);
      removed.push_back(s);
    } else {
      kept.push_back(s);
    }
  }
  xs = std::move(kept);
  if (xs.empty()) {
    if (!removed.empty())
      emit(event_kind::offline, login_id, removed.back(), reason);
    users_.erase(login_id);
  }
  return removed;
}

outcome reference_model::mark_online(const online_user& user,
                                     const login_policy& p) {
  if (user.login_id.empty())
    return fail_with(error::empty_login_id);
  if (user.token.empty())
    return fail_with(error::empty_token);
  if (p.max_sessions < 0 || p.max_sessions > max_sessions_limit)
    return fail_with(error::invalid_policy);
  session fresh{user.token, user.device,
                user.connect_time.time_since_epoch().count(), user.metadata};
  auto i = users_.find(user.login_id);
  if (i == users_.end()) {
    users_[user.login_id].push_back(fresh);
    emit(event_kind::online, user.login_id, fresh, "login");
    emit(event_kind::joined, user.login_id, fresh, "login");
    deliver_buffered(user.login_id);
    return changed(change_status::joined, 1, 0);
  }
  auto& xs = i->second;
  // The same token logging in again replaces its own record in place;
  // policies apply to new tokens only.
  for (auto& s : xs)
    if (s.token == user.token) {
      s = fresh;
      emit(event_kind::updated, user.login_id, s, "reconnect");
      return changed(change_status::reconnected,
                     static_cast<uint32_t>(xs.size()), 0);
    }
  std::vector<bool> victim(xs.size(), false);
  size_t victims = 0;
  if (p.one_per_device) {
    for (size_t k = 0; k < xs.size(); ++k)
      if (xs[k].device == user.device) {
        victim[k] = true;
        ++victims;
      }
    if (victims > 0 && p.on_limit == limit_action::reject)
      return fail_with(error::device_taken);
  }
  if (p.max_sessions > 0) {
    auto max = static_cast<size_t>(p.max_sessions);
    while (xs.size() - victims + 1 > max) {
      if (p.on_limit == limit_action::reject)
        return fail_with(error::too_many_sessions);
      // The oldest by connect time; the earlier in the list on a tie.
      size_t oldest = xs.size();
      for (size_t k = 0; k < xs.size(); ++k)
        if (!victim[k]
            && (oldest == xs.size() || xs[k].connect < xs[oldest].connect))
          oldest = k;
      victim[oldest] = true;
      ++victims;
    }
  }
  std::vector<session> kept;
  std::vector<session> gone;
  for (size_t k = 0; k < xs.size(); ++k) {
    if (victim[k]) {
      emit(event_kind::replaced, user.login_id, xs[k], "replaced");
      gone.push_back(xs[k]);
    } else {
      kept.push_back(xs[k]);
    }
  }
  kept.push_back(fresh);
  xs = std::move(kept);
  emit(event_kind::joined, user.login_id, fresh, "login");
  if (!gone.empty())
    deliver(user.login_id, gone, make_kick_out_message("replaced"), nullptr);
  return changed(change_status::joined, static_cast<uint32_t>(xs.size()),
                 static_cast<uint32_t>(victims));
}

outcome reference_model::mark_offline(const std::string& login_id,
                                      const std::string& token) {
  if (login_id.empty())
    return fail_with(error::empty_login_id);
  if (token.empty())
    return fail_with(error::empty_token);
  auto xs = sessions_of(login_id);
  if (xs == nullptr)
    return changed(change_status::unknown_user, 0, 0);
  auto n = xs->size();
  auto removed = remove(
    login_id, [&](const session& s) { return s.token == token; },
    event_kind::left, "logout");
  if (removed.empty())
    return changed(change_status::unknown_token, static_cast<uint32_t>(n), 0);
  auto left = static_cast<uint32_t>(n - 1);
  return changed(left == 0 ? change_status::user_offline : change_status::left,
                 left, 1);
}

outcome reference_model::mark_offline_all(const std::string& login_id) {
  if (login_id.empty())
    return fail_with(error::empty_login_id);
  if (sessions_of(login_id) == nullptr)
    return changed(change_status::unknown_user, 0, 0);
  auto removed = remove(
    login_id, [](const session&) { return true; }, event_kind::left,
    "logout");
  return changed(change_status::user_offline, 0,
                 static_cast<uint32_t>(removed.size()));
}

outcome reference_model::mark_offline_users(
  const std::vector<std::string>& login_ids) {
  for (auto& id : login_ids)
    if (id.empty())
      return fail_with(error::empty_login_id);
  uint32_t removed = 0;
  std::vector<std::string> seen;
  for (auto& id : login_ids) {
    if (std::find(seen.begin(), seen.end(), id) != seen.end())
      continue;
    seen.push_back(id);
    removed += mark_offline_all(id).change.removed;
  }
  return changed(removed > 0 ? change_status::user_offline
                             : change_status::unknown_user,
                 0, removed);
}

outcome reference_model::update_activity(const std::string& login_id,
                                         const std::string& token) {
  if (login_id.empty())
    return fail_with(error::empty_login_id);
  if (token.empty())
    return fail_with(error::empty_token);
  auto xs = sessions_of(login_id);
  if (xs == nullptr)
    return changed(change_status::unknown_user, 0, 0);
  auto n = static_cast<uint32_t>(xs->size());
  for (auto& s : *xs)
    if (s.token == token)
      return changed(change_status::refreshed, n, 0);
  return changed(change_status::unknown_token, n, 0);
}

outcome reference_model::update_metadata(const std::string& login_id,
                                         const std::string& token,
                                         const metadata_map& md) {
  if (login_id.empty())
    return fail_with(error::empty_login_id);
  if (token.empty())
    return fail_with(error::empty_token);
  auto i = users_.find(login_id);
  if (i == users_.end())
    return changed(change_status::unknown_user, 0, 0);
  auto n = static_cast<uint32_t>(i->second.size());
  for (auto& s : i->second)
    if (s.token == token) {
      s.metadata = md;
      emit(event_kind::updated, login_id, s, "metadata");
      return changed(change_status::updated, n, 0);
    }
  return changed(change_status::unknown_token, n, 0);
}

outcome reference_model::push_user(const std::string& login_id,
                                   const push_message& msg) {
  if (login_id.empty())
    return fail_with(error::empty_login_id);
  if (auto err = check_message(msg); err != error::none)
    return fail_with(err);
  outcome r;
  if (auto xs = sessions_of(login_id)) {
    deliver(login_id, *xs, msg, &r.rep);
  } else {
    if (msg.keep_if_offline)
      keep(login_id, msg, r.rep);
    r.rep.not_online.push_back(login_id);
  }
  return r;
}

outcome reference_model::push_users(const std::vector<std::string>& login_ids,
                                    const push_message& msg) {
  for (auto& id : login_ids)
    if (id.empty())
      return fail_with(error::empty_login_id);
  if (auto err = check_message(msg); err != error::none)
    return fail_with(err);
  outcome r;
  std::set<std::string> seen;
  for (auto& id : login_ids) {
    if (!seen.insert(id).second)
      continue;
    if (auto xs = sessions_of(id)) {
      deliver(id, *xs, msg, &r.rep);
    } else {
      if (msg.keep_if_offline)
        keep(id, msg, r.rep);
      r.rep.not_online.push_back(id);
    }
  }
  return r;
}

outcome reference_model::broadcast(const push_message& msg) {
  if (auto err = check_message(msg); err != error::none)
    return fail_with(err);
  // Broadcasts address the users online now: never buffered.
  outcome r;
  for (auto& [id, xs] : users_)
    deliver(id, xs, msg, &r.rep);
  return r;
}

outcome reference_model::kick(const std::string& login_id,
                              const std::string& reason) {
  return kick_device_or_all(login_id, nullptr, nullptr, reason);
}

outcome reference_model::kick_session(const std::string& login_id,
                                      const std::string& token,
                                      const std::string& reason) {
  if (!login_id.empty() && token.empty())
    return fail_with(error::empty_token);
  return kick_device_or_all(login_id, &token, nullptr, reason);
}

outcome reference_model::kick_device(const std::string& login_id,
                                     const std::string& device,
                                     const std::string& reason) {
  if (!login_id.empty() && device.empty())
    return fail_with(error::empty_device);
  return kick_device_or_all(login_id, nullptr, &device, reason);
}

outcome reference_model::kick_device_or_all(const std::string& login_id,
                                            const std::string* token,
                                            const std::string* device,
                                            const std::string& reason) {
  if (login_id.empty())
    return fail_with(error::empty_login_id);
  outcome r;
  if (sessions_of(login_id) == nullptr) {
    r.rep.not_online.push_back(login_id);
    return r;
  }
  auto why = reason.empty() ? std::string{"kicked"} : reason;
  auto removed = remove(
    login_id,
    [&](const session& s) {
      return token != nullptr    ? s.token == *token
             : device != nullptr ? s.device == *device
                                 : true;
    },
    event_kind::kicked, why);
  // The KickOut's content is the caller's reason as given.
  if (!removed.empty())
    deliver(login_id, removed, make_kick_out_message(reason), &r.rep);
  return r;
}

outcome reference_model::subscribe_pusher(int slot, bool fails) {
  bool added = std::none_of(pushers_.begin(), pushers_.end(),
                            [&](auto& p) { return p.slot == slot; });
  if (added)
    pushers_.push_back(pusher_slot{slot, fails});
  if (added && pushers_.size() == 1) {
    // Messages for users who came online while no pusher could take them.
    std::vector<std::string> ids;
    for (auto& [id, q] : buffer_)
      if (users_.count(id) > 0)
        ids.push_back(id);
    for (auto& id : ids)
      deliver_buffered(id);
  }
  return changed(change_status::subscribed, 0, 0);
}

outcome reference_model::unsubscribe_pusher(int slot) {
  auto i = std::find_if(pushers_.begin(), pushers_.end(),
                        [&](auto& p) { return p.slot == slot; });
  if (i == pushers_.end())
    return changed(change_status::unknown_pusher, 0, 0);
  pushers_.erase(i);
  return changed(change_status::unsubscribed, 0, 0);
}

outcome reference_model::subscribe_events(int slot) {
  subscribers_.insert(slot);
  return changed(change_status::subscribed, 0, 0);
}

outcome reference_model::unsubscribe_events(int slot) {
  if (subscribers_.erase(slot) == 0)
    return changed(change_status::unknown_subscriber, 0, 0);
  return changed(change_status::unsubscribed, 0, 0);
}

std::string diff_sessions(const std::string& login_id,
                          std::vector<session> want,
                          std::vector<online_user> got) {
  if (got.size() != want.size())
    return "sessions of " + login_id + ": model " + std::to_string(want.size())
           + ", library " + std::to_string(got.size());
  auto by_token = [](auto& a, auto& b) { return a.token < b.token; };
  std::sort(want.begin(), want.end(), by_token);
  std::sort(got.begin(), got.end(), by_token);
  for (size_t i = 0; i < want.size(); ++i) {
    auto& g = got[i];
    if (g.login_id != login_id || g.token != want[i].token
        || g.device != want[i].device || g.metadata != want[i].metadata
        || g.connect_time.time_since_epoch().count() != want[i].connect)
      return "session " + login_id + "/" + want[i].token + " differs";
  }
  return {};
}

} // namespace presence::model

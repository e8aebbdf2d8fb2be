// session_changes: what a cluster adds (docs/design.md, "The registry and
// the cluster actor"). Other owners' sessions sit in the same table with
// their owner's id; only their owner's changes, applied here, touch them.
// Their user may have no actor on this node (a null handle): the user actor
// only ever knows the sessions this node owns.

#include "registry/session_changes.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>

#include "registry/batch_prefetch.hpp"
#include "registry/login_decision.hpp"

namespace presence::detail {

namespace {

using write_lock = std::unique_lock<std::shared_mutex>;

} // namespace

bool session_changes::has_local_session(const user_entry& e) {
  for (auto& s : e.sessions)
    if (s.owner == local_owner)
      return true;
  return false;
}

bool session_changes::has_remote_session(const user_entry& e) {
  for (auto& s : e.sessions)
    if (s.owner != local_owner)
      return true;
  return false;
}

void session_changes::release_actor(user_entry& e) {
  if (!e.actor)
    return;
  user_actor actor;
  {
    write_lock guard{view_.mtx};
    actor = std::move(e.actor);
  }
  e.check_armed = false;
  owner_.retire(std::move(actor));
}

void session_changes::erase_if_unused(user_entry& e) {
  if (e.sessions.empty() && !e.actor && e.pending == 0 && !e.parked)
    erase_user(e);
}

/// The user is online through other nodes only: no actor decides, so this
/// login's policy is decided here, over the other nodes' sessions, and the
/// login starts an actor with the session, as for a new user. A remote
/// session with the same token is replaced (this login is newer; the
/// cluster moves the other one out on its owner).
void session_changes::join_known_user(user_entry& e, client_op& op,
                                      reply_target& rt) {
  auto policy = op.has_policy ? op.policy : policy_;
  std::vector<std::string> victims;
  if (clustered() && !policy.is_unlimited()) {
    auto others = others_of(e, op.user.token);
    if (!admits_at_once(policy, others.size())) {
      std::vector<bool> victim;
      auto err = decide_login(
        policy, others.size(),
        [&](size_t k) -> const std::string& { return others[k].device; },
        [&](size_t k) { return others[k].connect_time; },
        [&](size_t a, size_t b) { return others[a].token < others[b].token; },
        op.user.device, victim);
      if (err) {
        replies_.fail(rt, std::move(err));
        return;
      }
      for (size_t k = 0; k < others.size(); ++k)
        if (victim[k])
          victims.push_back(std::move(others[k].token));
    }
  }
  auto started = owner_.now();
  auto actor = owner_.spawn_user(op.user, started);
  auto token = op.user.token;
  auto was_empty = e.sessions.empty();
  change_result result;
  {
    write_lock guard{view_.mtx};
    auto before = e.sessions.size();
    e.actor = std::move(actor);
    result = upsert_session(e.sessions,
                            session_record::from(std::move(op.user)));
    view_.table.sessions_changed(e, before);
  }
  arm_idle_check(e, started + idle_timeout_);
  auto& joined = *e.sessions.find(token);
  if (link_)
    link_->changed(e.login_id, joined, false);
  // The caller learns of this node's sessions, as from a user actor.
  replies_.complete(rt, change_result{change_status::joined, 1,
                                      static_cast<uint32_t>(victims.size())});
  if (parts_.events_on()) {
    if (was_empty)
      emit(event_kind::online, e.login_id, joined, "login");
    if (result.status == change_status::joined)
      emit(event_kind::joined, e.login_id, joined, "login");
    else
      emit(event_kind::updated, e.login_id, joined, "reconnect");
  }
  if (!victims.empty())
    kick_remote(e, victims);
  if (was_empty)
    parts_.came_online(e);
}

std::vector<online_user> session_changes::others_of(
  const user_entry& e, const std::string& token) const {
  std::vector<online_user> result;
  for (auto& s : e.sessions)
    if (s.owner != local_owner && s.token != token) {
      auto& x = result.emplace_back();
      x.token = s.token;
      x.device = s.device;
      x.connect_time = s.connect_time;
      x.node = view_.nodes.name_of(s.owner);
    }
  return result;
}

/// Fire and forget: the login has its answer already, and the victims'
/// owners send their removals like any change. A kick that finds nothing
/// (the session left meanwhile) changes nothing.
void session_changes::kick_remote(user_entry& e,
                                  const std::vector<std::string>& tokens) {
  if (!clustered())
    return;
  for (auto& token : tokens) {
    auto i = e.sessions.find(token);
    if (i == e.sessions.end() || i->owner == local_owner)
      continue;
    client_op op;
    op.kind = op_kind::kick_session;
    op.user.login_id = e.login_id;
    op.user.token = token;
    op.message = make_kick_out_message("replaced");
    auto id = replies_.forwards.open(reply_target{},
                                     forwarded_writes::answer_kind::report, 1);
    link_->forward(i->owner, op, id);
    bump(view_.counters.replaced);
  }
}

bool session_changes::route_token_write(user_entry& e, client_op& op,
                                        reply_target& rt,
                                        forwarded_writes::answer_kind kind) {
  auto i = e.sessions.find(op.user.token);
  if (i == e.sessions.end() || i->owner == local_owner)
    return false;
  if (op.source == origin::cluster_peer) {
    // A peer thought this node owns the session; it does not (any more).
    auto n = static_cast<uint32_t>(e.sessions.size());
    if (kind == forwarded_writes::answer_kind::change)
      replies_.complete(rt, change_result{change_status::unknown_token, n, 0});
    else
      replies_.complete(rt, delivery_report{});
    return true;
  }
  link_->forward_one(i->owner, op, std::move(rt), kind);
  return true;
}

reply_target session_changes::split_login_write(
  user_entry& e, client_op& op, reply_target&& rt,
  forwarded_writes::answer_kind kind) {
  if (op.source == origin::cluster_peer || !clustered())
    return std::move(rt);
  auto owners = cluster_link::remote_owners(e);
  if (owners.empty())
    return std::move(rt);
  auto id = replies_.forwards.open(std::move(rt), kind,
                                   static_cast<uint32_t>(owners.size() + 1));
  for (auto owner : owners)
    link_->forward(owner, op, id);
  return forwarded_writes::part_target(id);
}

// -- other owners' changes ----------------------------------------------------

void session_changes::drop_remote_sessions() {
  std::map<owner_id, remote_update> by_owner;
  for (auto& e : view_.table.entries())
    e.sessions.for_each_in_order([&](const session_record& s) {
      if (s.owner == local_owner)
        return;
      auto& u = by_owner[s.owner];
      auto& c = u.changes.emplace_back();
      c.removed = true;
      c.session.login_id = e.login_id;
      c.session.token = s.token;
    });
  // The updates are built before any is applied: applying erases entries.
  limits lim;
  for (auto& [owner, u] : by_owner) {
    u.node = view_.nodes.name_of(owner);
    u.reason = "node_down";
    lim.max_id_size = std::max(lim.max_id_size, u.node.size());
    apply_remote(u, lim);
  }
}

void session_changes::apply_remote(remote_update& u, const limits& lim) {
  auto drop = [&](size_t n) { bump(view_.counters.replica_drops, n); };
  if (!clustered() || u.node.empty() || u.node == view_.nodes.local()
      || validate_login_id(u.node, lim) || validate_reason(u.reason, lim)) {
    drop(u.changes.size());
    return;
  }
  owner_id owner = view_.nodes.find(u.node);
  if (owner == node_names::unknown) {
    write_lock guard{view_.mtx};
    owner = view_.nodes.id_of(u.node);
  }
  // An owner's delta brings hundreds of changes: prefetched like a client
  // batch (batch_prefetch.hpp).
  std::vector<size_t> hashes;
  hashes.reserve(u.changes.size());
  for (auto& c : u.changes)
    hashes.push_back(user_table::hash(c.session.login_id));
  batch_prefetch prefetch{view_.table};
  auto n = u.changes.size();
  for (size_t i = 0; i < n; ++i) {
    prefetch.ahead(n, i, [&](size_t j) {
      return batch_prefetch::item{hashes[j], u.changes[j].removed};
    });
    apply_remote_change(owner, u.changes[i], hashes[i], u.reason, lim);
  }
}

void session_changes::apply_remote_change(owner_id owner, remote_change& c,
                                          size_t hash,
                                          const std::string& reason,
                                          const limits& lim) {
  auto& x = c.session;
  auto invalid = c.removed ? validate_session_key(x.login_id, x.token, lim)
                           : validate_user(x, lim);
  if (invalid) {
    bump(view_.counters.replica_drops);
    return;
  }
  auto e = view_.table.find(x.login_id, hash);
  if (c.removed) {
    if (e == nullptr)
      return;
    auto i = e->sessions.find(x.token);
    if (i == e->sessions.end())
      return;
    if (i->owner != owner) { // not this owner's to remove
      bump(view_.counters.replica_drops);
      return;
    }
    auto token = x.token;
    remove_where(*e, owned_token{owner, &token}, event_kind::left, reason,
                 nullptr);
    erase_if_unused(*e);
    return;
  }
  auto login_id = x.login_id;
  auto rec = session_record::from(std::move(x));
  rec.owner = owner;
  auto token = rec.token;
  if (e == nullptr) {
    {
      write_lock guard{view_.mtx};
      e = &view_.table.insert(std::move(login_id), hash, user_actor{},
                              std::move(rec));
    }
    emit(event_kind::online, e->login_id, e->sessions.front(), reason);
    emit(event_kind::joined, e->login_id, e->sessions.front(), reason);
    parts_.came_online(*e);
    return;
  }
  auto i = e->sessions.find(token);
  if (i != e->sessions.end() && i->owner == local_owner) {
    // This node's own session: the cluster actor moves it out first.
    bump(view_.counters.replica_drops);
    return;
  }
  auto was_empty = e->sessions.empty();
  change_result result;
  {
    write_lock guard{view_.mtx};
    auto before = e->sessions.size();
    result = upsert_session(e->sessions, std::move(rec));
    view_.table.sessions_changed(*e, before);
  }
  auto& s = *e->sessions.find(token);
  if (was_empty)
    emit(event_kind::online, e->login_id, s, reason);
  emit(result.status == change_status::joined ? event_kind::joined
                                              : event_kind::updated,
       e->login_id, s, reason);
  if (was_empty)
    parts_.came_online(*e);
  else if (result.status == change_status::joined)
    settle_policy(*e);
}

/// Two logins raced within the replication lag, each deciding over a view
/// without the other: every owner applies the same rule to the same view
/// (the newest sessions win, ordered by connect time, then token) and kicks
/// its own losers, so all views end equal (docs/design.md, "Login policies
/// in a cluster"). A user busy with a login of its own is settled when its
/// actor has answered (on_join_answer). Only users with sessions on other
/// nodes: a per-call policy looser than the configured one holds on one
/// node, and across nodes until another node's session joins the user.
void session_changes::settle_policy(user_entry& e) {
  auto& p = policy_;
  if (p.is_unlimited() || p.on_limit != limit_action::replace || !e.actor
      || e.pending > 0 || e.parked || !has_remote_session(e))
    return;
  std::vector<const session_record*> xs;
  for (auto& s : e.sessions)
    xs.push_back(&s);
  std::sort(xs.begin(), xs.end(), [](auto* x, auto* y) {
    return std::tie(y->connect_time, y->token)
           < std::tie(x->connect_time, x->token);
  });
  std::vector<const std::string*> devices;
  std::vector<std::string> losers;
  size_t kept = 0;
  for (auto* s : xs) {
    auto lose = false;
    if (p.one_per_device) {
      auto same = [s](auto* d) { return *d == s->device; };
      lose = std::any_of(devices.begin(), devices.end(), same);
      if (!lose)
        devices.push_back(&s->device);
    }
    if (!lose && p.max_sessions > 0
        && kept >= static_cast<size_t>(p.max_sessions))
      lose = true;
    if (!lose)
      ++kept;
    else if (s->owner == local_owner)
      losers.push_back(s->token);
  }
  if (losers.empty())
    return;
  std::vector<session_target> targets;
  bump(view_.counters.replaced,
       remove_where(e, local_token_in{&losers}, event_kind::replaced,
                    "replaced", &targets)
         .removed);
  parts_.kick_replaced(e.login_id, std::move(targets));
  if (!has_local_session(e)) {
    release_actor(e);
    return;
  }
  // The actor forgets them as after a logout.
  for (auto& token : losers) {
    online_user gone;
    gone.login_id = e.login_id;
    gone.token = token;
    owner_.mirror(e.actor,
                  user_command{0, op_kind::mark_offline, std::move(gone), {},
                               {}});
  }
}

bool session_changes::move_out(const std::string& login_id,
                               const std::string& token,
                               const std::string& node) {
  auto e = view_.table.find(login_id);
  if (e == nullptr)
    return false;
  auto i = e->sessions.find(token);
  if (i == e->sessions.end() || i->owner != local_owner)
    return false;
  auto r = remove_where(*e, owned_token{local_owner, &token},
                        event_kind::moved, node, nullptr);
  if (r.left == 0 && e->pending == 0 && !e->parked) {
    retire_user(*e);
  } else if (e->pending == 0 && !has_local_session(*e)) {
    release_actor(*e);
  } else if (e->actor) {
    // The actor forgets it as after a logout.
    online_user gone;
    gone.login_id = login_id;
    gone.token = token;
    owner_.mirror(e->actor,
                  user_command{0, op_kind::mark_offline, std::move(gone), {},
                               {}});
  }
  return true;
}

void session_changes::node_event(bool up, const std::string& node) {
  if (!parts_.events_on())
    return;
  online_user who;
  who.node = node;
  emit(up ? event_kind::node_up : event_kind::node_down, std::move(who),
       up ? "node_up" : "node_down");
}

} // namespace presence::detail

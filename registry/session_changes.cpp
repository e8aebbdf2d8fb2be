#include "registry/session_changes.hpp"

#include <algorithm>
#include <mutex>

namespace presence::detail {

namespace {

using write_lock = std::unique_lock<std::shared_mutex>;

/// A removal selector restricted to this node's sessions: a local write
/// never removes a session another node owns.
struct local_only {
  removal_selector sel;

  bool operator()(const session_record& s) const {
    return s.owner == local_owner && sel(s);
  }
};

} // namespace

session_changes::session_changes(callee& owner, hooks& parts,
                                 presence_view& view, client_replies& replies,
                                 event_outbox& events, const settings& cfg)
  : owner_(owner),
    parts_(parts),
    view_(view),
    replies_(replies),
    events_(events),
    policy_(cfg.policy),
    idle_timeout_(cfg.idle_timeout),
    wheel_(idle_wheel::granularity_for(cfg.idle_timeout)) {
}

session_changes::~session_changes() = default;

void session_changes::park(user_entry& e, client_op& op, reply_target& rt) {
  if (!e.parked)
    e.parked = std::make_unique<parked_queue>();
  e.parked->push_back(parked_op{std::move(op), std::move(rt)});
  bump(view_.counters.parks);
}

/// Replays the calls parked on a user, oldest first, until one makes the
/// user busy again (a login forwarded to its actor): the rest stay parked,
/// in order. Each parked call is replayed once (replaying the whole queue
/// after every answer made n pipelined logins on one user cost n^2 steps).
void session_changes::replay_parked(std::unique_ptr<parked_queue> parked) {
  if (!parked)
    return;
  while (!parked->empty()) {
    auto p = std::move(parked->front());
    parked->pop_front();
    parts_.dispatch(std::move(p.op), std::move(p.target));
    if (parked->empty())
      return;
    // Every call in the queue is on the same login id, whose entry may have
    // changed meanwhile (retired, or a new actor).
    auto e = find_user(parked->front().op);
    if (e != nullptr && e->pending > 0) {
      // Nothing else parks while this loop runs but the call just handled,
      // which did not (the user was not busy); keep it general.
      if (e->parked)
        for (auto& later : *e->parked)
          parked->push_back(std::move(later));
      e->parked = std::move(parked);
      return;
    }
  }
}

// -- client operations --------------------------------------------------------

void session_changes::mark_online(client_op&& op, reply_target&& rt) {
  auto& user = op.user;
  auto ts = caf::make_timestamp();
  // In a cluster the owner stamps: connect times order logins of one token
  // on several nodes, so no caller may pick its own.
  if (clustered() || user.connect_time.time_since_epoch().count() == 0)
    user.connect_time = ts;
  // Nor is a session active before its owner stamped it. A caller's stamp of
  // the same login (make_online_user) is earlier by the trip here; raising
  // it makes both stamps equal, which a replica stores in fewer bytes.
  if (user.last_activity.time_since_epoch().count() == 0
      || (clustered() && user.last_activity < ts))
    user.last_activity = ts;
  auto e = find_user(op);
  if (park_if_busy(e, op, rt))
    return;
  if (e != nullptr && !e->actor) {
    join_known_user(*e, op, rt);
    return;
  }
  if (e != nullptr) {
    // An existing user: its actor decides (it owns the sessions and enforces
    // the login policy) and answers with an update applied to the table.
    auto ticket = forwarded_.insert(
      forwarded_command{std::move(rt), user.login_id});
    ++e->pending;
    user_command cmd{ticket, op_kind::mark_online, std::move(user),
                     op.has_policy ? op.policy : policy_, {}};
    if (clustered() && !cmd.policy.is_unlimited())
      cmd.others = others_of(*e, cmd.session.token);
    owner_.forward_join(e->actor, std::move(cmd));
    return;
  }
  // A new user: the actor starts with this session, so the outcome is known
  // here and now (any policy admits a first session).
  auto started = owner_.now();
  auto actor = owner_.spawn_user(user, started);
  user_entry* inserted;
  {
    write_lock guard{view_.mtx};
    auto login_id = std::move(user.login_id);
    inserted = &view_.table.insert(std::move(login_id), op.login_hash,
                                   std::move(actor),
                                   session_record::from(std::move(user)));
  }
  arm_idle_check(*inserted, started + idle_timeout_);
  if (link_)
    link_->changed(inserted->login_id, inserted->sessions.front(), false);
  replies_.complete(rt, change_result{change_status::joined, 1, 0});
  if (parts_.events_on()) {
    emit(event_kind::online, inserted->login_id, inserted->sessions.front(),
         "login");
    emit(event_kind::joined, inserted->login_id, inserted->sessions.front(),
         "login");
  }
  parts_.came_online(*inserted);
}

/// Each is a pure function of the session list, so while the user's actor
/// has nothing in flight the table changes at once with the code the actor
/// runs (session_ops.hpp), and the actor mirrors it: no round trip through
/// the user actor on the hottest writes.
void session_changes::change_session(client_op&& op, reply_target&& rt) {
  auto e = find_user(op);
  if (e == nullptr) {
    replies_.complete(rt, change_result{change_status::unknown_user, 0, 0});
    return;
  }
  if (park_if_busy(e, op, rt))
    return;
  if (op.kind != op_kind::mark_offline_all && clustered()
      && route_token_write(*e, op, rt, forwarded_writes::answer_kind::change))
    return;
  // Not replicated: replicas show last_activity as of the session's last
  // replicated change (docs/design.md, "The registry and the cluster
  // actor"); a delta per refresh would make the hottest write cost a
  // broadcast to every node.
  if (op.kind == op_kind::update_activity) {
    op.user.last_activity = caf::make_timestamp();
    change_result result;
    {
      write_lock guard{view_.mtx};
      result = touch_session(e->sessions, op.user.token,
                             op.user.last_activity);
    }
    if (result.status != change_status::unknown_token && e->actor)
      owner_.mirror(e->actor,
                    user_command{0, op.kind, std::move(op.user), {}, {}});
    replies_.complete(rt, result);
    return;
  }
  // A logout that takes the last session also erases the user under the same
  // write lock: a mass logout is mostly these (docs/performance.md, "Mass
  // logout"). Only this node's sessions: a by-token logout of another
  // owner's session went to it above.
  auto local_rt = op.kind == op_kind::mark_offline_all && clustered()
                    ? split_login_write(*e, op, std::move(rt),
                                        forwarded_writes::answer_kind::change)
                    : std::move(rt);
  auto sel = removal_selects(op.kind, op.user);
  auto r = sel.by_token() ? remove_where(*e, sel, event_kind::left, "logout",
                                         nullptr, true)
                          : remove_where(*e, local_only{sel}, event_kind::left,
                                         "logout", nullptr, true);
  if (r.left > 0)
    after_removal(*e, r.removed, op);
  replies_.complete(local_rt, removal_result(r.removed, r.left));
}

/// Metadata lives only in the table (the user actor does not need it); the
/// call still waits for earlier calls on the same user.
void session_changes::update_metadata(client_op&& op, reply_target&& rt) {
  auto e = find_user(op);
  if (park_if_busy(e, op, rt))
    return;
  if (e == nullptr || e->sessions.empty()) {
    replies_.complete(rt, change_result{change_status::unknown_user, 0, 0});
    return;
  }
  if (clustered()
      && route_token_write(*e, op, rt, forwarded_writes::answer_kind::change))
    return;
  auto i = e->sessions.find(op.user.token);
  auto n = static_cast<uint32_t>(e->sessions.size());
  if (i == e->sessions.end()) {
    replies_.complete(rt, change_result{change_status::unknown_token, n, 0});
    return;
  }
  {
    write_lock guard{view_.mtx};
    if (op.user.metadata.empty())
      i->metadata.reset();
    else
      i->metadata = std::make_unique<metadata_map>(
        std::move(op.user.metadata));
  }
  if (link_)
    link_->changed(e->login_id, *i, false);
  emit(event_kind::updated, e->login_id, *i, "metadata");
  replies_.complete(rt, change_result{change_status::updated, n, 0});
}

/// The part of a removal done under the write lock (the caller adjusts the
/// table's counts).
template <class Pred>
uint32_t session_changes::take_sessions(user_entry& e, Pred pred,
                                        event_kind kind,
                                        const std::string& reason,
                                        std::vector<session_target>* targets) {
  // Asked once, not per session: this runs under the write lock.
  auto events_on = parts_.events_on();
  return remove_matching(e.sessions, pred, [&](const session_record& s) {
    if (targets != nullptr)
      targets->push_back(session_target{s.token, s.device});
    if (link_)
      link_->changed(e.login_id, s, true);
    if (events_on)
      emit(kind, s.to_online_user(e.login_id, view_.nodes.name_of(s.owner)),
           reason);
  });
}

template <class Pred>
session_changes::removal
session_changes::remove_where(user_entry& e, Pred pred, event_kind kind,
                              const std::string& reason,
                              std::vector<session_target>* targets,
                              bool retire_emptied) {
  removal r;
  user_actor retired;
  {
    write_lock guard{view_.mtx};
    auto before = e.sessions.size();
    r.removed = take_sessions(e, pred, kind, reason, targets);
    view_.table.sessions_changed(e, before);
    r.left = static_cast<uint32_t>(e.sessions.size());
    if (r.left == 0 && retire_emptied) {
      retired = std::move(e.actor);
      view_.table.erase(e);
    }
  }
  if (r.removed > 0 && r.left == 0 && parts_.events_on())
    emit(event_kind::offline, events_.back().session, reason);
  if (retired)
    owner_.retire(std::move(retired));
  return r;
}

// Used by session_changes_cluster.cpp and session_changes_idle.cpp.
template session_changes::removal
session_changes::remove_where(user_entry&, owned_token, event_kind,
                              const std::string&, std::vector<session_target>*,
                              bool);
template session_changes::removal
session_changes::remove_where(user_entry&, local_token_in, event_kind,
                              const std::string&, std::vector<session_target>*,
                              bool);

uint32_t session_changes::remove_sessions(user_entry& e,
                                          const removal_selector& sel,
                                          event_kind kind,
                                          const std::string& reason,
                                          std::vector<session_target>* targets) {
  if (!sel.by_token())
    return remove_where(e, local_only{sel}, kind, reason, targets).removed;
  // A by-token write on another owner's session was forwarded before it
  // got here; never remove one.
  auto i = e.sessions.find(sel.x->token);
  if (i == e.sessions.end() || i->owner != local_owner)
    return 0;
  return remove_where(e, sel, kind, reason, targets).removed;
}

void session_changes::after_removal(user_entry& e, uint32_t removed,
                                    client_op& op) {
  if (e.sessions.empty())
    retire_user(e);
  else if (!e.actor || removed == 0)
    return;
  else if (e.pending == 0 && !has_local_session(e))
    release_actor(e);
  else
    owner_.mirror(e.actor,
                  user_command{0, op.kind, std::move(op.user), {}, {}});
}

/// The user's last session is gone from the table: the change is visible at
/// once; the actor is destroyed on the retirement thread
/// (user_retirement.hpp), not sent an exit (docs/design.md, "Retiring user
/// actors").
void session_changes::retire_user(user_entry& e) {
  auto actor = std::move(e.actor);
  erase_user(e);
  if (actor)
    owner_.retire(std::move(actor));
}

void session_changes::erase_user(user_entry& e) {
  write_lock guard{view_.mtx};
  view_.table.erase(e);
}

// -- answers of user actors ---------------------------------------------------

user_entry* session_changes::entry_of(const std::string& login_id,
                                      caf::actor_id from) {
  auto e = view_.table.find(login_id);
  if (e == nullptr || !e->actor || e->actor.id() != from)
    return nullptr;
  return e;
}

bool session_changes::take_forwarded(uint64_t ticket, forwarded_command& out) {
  auto ptr = forwarded_.find(ticket);
  if (ptr == nullptr)
    return false;
  out = std::move(*ptr);
  forwarded_.erase(ticket);
  return true;
}

void session_changes::on_join_answer(user_update& u, caf::actor_id from) {
  forwarded_command fc;
  if (!take_forwarded(u.ticket, fc))
    return;
  auto e = entry_of(fc.login_id, from);
  if (e == nullptr) {
    // Cannot happen while the command is pending (the entry stays until its
    // actor has answered), but the answer is the truth either way.
    if (u.err)
      replies_.fail(fc.target, std::move(u.err));
    else
      replies_.complete(fc.target, u.result);
    return;
  }
  bool came_online = false;
  if (u.err)
    replies_.fail(fc.target, std::move(u.err));
  else
    came_online = apply_join(*e, u, fc.target);
  if (--e->pending == 0) {
    auto parked = std::move(e->parked);
    if (e->sessions.empty())
      retire_user(*e);
    else if (!has_local_session(*e))
      release_actor(*e);
    else if (clustered())
      settle_policy(*e); // other nodes' sessions may have joined meanwhile
    // Calls parked behind this login were made before anything the buffer
    // holds could be delivered: they go first.
    replay_parked(std::move(parked));
  }
  if (came_online)
    if (auto again = view_.table.find(fc.login_id);
        again && !again->sessions.empty())
      parts_.came_online(*again);
}

/// The user actor can only die by a bug or an outside kill: its sessions are
/// lost. The user goes offline, with events, and the calls parked on it
/// replay against that state.
void session_changes::on_join_failed(uint64_t ticket, caf::error err) {
  forwarded_command fc;
  if (!take_forwarded(ticket, fc))
    return;
  replies_.fail(fc.target, std::move(err));
  auto e = view_.table.find(fc.login_id);
  if (e == nullptr)
    return;
  auto parked = std::move(e->parked);
  drop_lost_user(*e);
  replay_parked(std::move(parked));
}

/// Applies the user actor's decision on a new session: the sessions a policy
/// replaced leave (with a KickOut, reason "replaced"), the new one joins,
/// under one write lock so that no reader sees the user without a session in
/// between. Returns whether the user came online.
bool session_changes::apply_join(user_entry& e, user_update& u,
                                 reply_target& rt) {
  auto was_empty = e.sessions.empty();
  std::vector<session_target> replaced;
  auto token = u.session.token;
  change_result result;
  {
    write_lock guard{view_.mtx};
    auto before = e.sessions.size();
    if (was_empty && parts_.events_on()) {
      // "online" comes first; the session is the one joining.
      emit(event_kind::online, u.session, "login");
    }
    if (!u.tokens.empty())
      bump(view_.counters.replaced,
           take_sessions(e, local_token_in{&u.tokens}, event_kind::replaced,
                         "replaced", &replaced));
    result = upsert_session(e.sessions,
                            session_record::from(std::move(u.session)));
    view_.table.sessions_changed(e, before);
  }
  if (!e.check_armed) // the actor's checks stopped when it had no session
    arm_idle_check(e, owner_.now() + idle_timeout_);
  if (link_)
    link_->changed(e.login_id, *e.sessions.find(token), false);
  replies_.complete(rt, u.result);
  if (parts_.events_on()) {
    auto& joined = *e.sessions.find(token);
    if (result.status == change_status::joined)
      emit(event_kind::joined, e.login_id, joined, "login");
    else
      emit(event_kind::updated, e.login_id, joined, "reconnect");
  }
  if (!replaced.empty())
    parts_.kick_replaced(e.login_id, std::move(replaced));
  if (!u.others.empty())
    kick_remote(e, u.others);
  return was_empty;
}

/// The user's actor is dead: its sessions leave (reason "actor_down") and
/// the entry goes, unless other nodes own sessions of the user; there is no
/// actor left to retire.
void session_changes::drop_lost_user(user_entry& e) {
  remove_where(e, [](const session_record& s) { return s.owner == local_owner; },
               event_kind::left, "actor_down", nullptr);
  // Nothing the dead actor had will answer: calls on the user's remaining
  // (remote) sessions must not wait for it.
  e.actor = user_actor{};
  e.pending = 0;
  erase_if_unused(e);
}

// -- presence events ----------------------------------------------------------

void session_changes::emit(event_kind kind, online_user session,
                           std::string reason) {
  events_.add(presence_event{kind, std::move(session), std::move(reason)});
  bump(view_.counters.events);
  if (events_.full())
    parts_.flush_events();
  else
    owner_.flush_later();
}

} // namespace presence::detail

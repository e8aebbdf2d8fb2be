#pragma once

// Presence changes: the registry's table is the node's record of its
// sessions, and this class is the one that writes it. Who decides what
// (docs/design.md, "Actors and who owns what"): a user's actor decides a new session (its
// login policy) and idle expiry, and this class applies its answers; every
// other change (logout, kicks, activity, metadata) is a pure function of the
// session list (session_ops.hpp), applied here to the table and mirrored to
// the user's actor. Calls on a user whose actor is still deciding park on
// its entry and replay in order. Plain class: messages to actors are the
// callee's job; what goes on to the registry's other parts, the hooks'.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/error.hpp>

#include "presence/config.hpp"
#include "presence/detail/protocol.hpp"
#include "presence/detail/slab.hpp"
#include "presence/presence_event.hpp"
#include "presence/detail/cluster_feed.hpp"
#include "registry/client_replies.hpp"
#include "registry/cluster_link.hpp"
#include "registry/event_outbox.hpp"
#include "registry/idle_wheel.hpp"
#include "registry/parked_op.hpp"
#include "registry/reply_target.hpp"
#include "registry/session_ops.hpp"
#include "registry/user_table.hpp"

namespace presence::detail {

/// Selects the session with `token` if `owner` owns it (a replicated
/// removal, a move out).
struct owned_token {
  owner_id owner;
  const std::string* token;

  template <class Session>
  bool operator()(const Session& s) const {
    return s.owner == owner && s.token == *token;
  }
};

/// Selects this node's sessions whose token is in `*tokens` (a policy's
/// victims, a user actor's expiries: the actor knows only local sessions).
struct local_token_in {
  const std::vector<std::string>* tokens;

  template <class Session>
  bool operator()(const Session& s) const {
    return s.owner == local_owner
           && std::find(tokens->begin(), tokens->end(), s.token)
                != tokens->end();
  }
};

class session_changes {
public:
  using time_point = caf::actor_clock::time_point;

  /// What the changes ask of the actor around them.
  class callee {
  public:
    virtual ~callee() = default;
    virtual time_point now() = 0;
    /// Events wait: send them when the mailbox runs dry.
    virtual void flush_later() = 0;
    /// Asks the user's actor to decide on a login (`cmd.ticket` names it):
    /// its answer comes back through on_join_answer or on_join_failed.
    virtual void forward_join(const user_actor& actor, user_command&& cmd) = 0;
    /// Tells the user's actor about a change already applied to the table.
    virtual void mirror(const user_actor& actor, user_command&& cmd) = 0;
    /// A new user's actor, owning its first session `first`.
    virtual user_actor spawn_user(const online_user& first, time_point now)
      = 0;
    /// Asks the user's actor for an idle check (on_expired answers).
    virtual void check_idle(const user_actor& actor, std::string login_id)
      = 0;
    /// The user's last session left: its actor goes to retirement.
    virtual void retire(user_actor&& actor) = 0;
    /// Call on_tick() after `delay`.
    virtual void tick_after(caf::timespan delay) = 0;
  };

  /// What a change hands on to the registry's other parts.
  class hooks {
  public:
    virtual ~hooks() = default;
    /// Whether anybody subscribed to presence events.
    virtual bool events_on() const = 0;
    /// Handles a call again (a parked one, replayed).
    virtual void dispatch(client_op&& op, reply_target&& rt) = 0;
    /// The user came online: messages buffered for it may go out.
    virtual void came_online(user_entry& e) = 0;
    /// A login policy replaced these sessions: they get a KickOut.
    virtual void kick_replaced(const std::string& login_id,
                               std::vector<session_target>&& targets)
      = 0;
    /// A batch of events is full (event_outbox::full): it goes out now.
    virtual void flush_events() = 0;
  };

  session_changes(callee& owner, hooks& parts, presence_view& view,
                  client_replies& replies, event_outbox& events,
                  const settings& cfg);

  ~session_changes();

  session_changes(const session_changes&) = delete;
  session_changes& operator=(const session_changes&) = delete;

  user_table& table() {
    return view_.table;
  }

  /// From now on this node is part of a cluster: `link` hears of every
  /// change of a local session and forwards writes on other owners'
  /// sessions (docs/design.md, "The registry and the cluster actor").
  void set_link(cluster_link* link) {
    link_ = link;
  }

  /// The cluster actor is gone: every other node's session leaves the
  /// table (reason "node_down"), since nothing replicates them any more.
  void drop_remote_sessions();

  bool clustered() const noexcept {
    return link_ != nullptr && link_->attached();
  }

  user_entry* find_user(client_op& op) {
    return view_.table.find(op.user.login_id, user_table::hash_of(op));
  }

  /// Parks `op` if the user's actor is still applying an earlier change, so
  /// that every call on one user takes effect in the order it was made.
  bool park_if_busy(user_entry* e, client_op& op, reply_target& rt) {
    if (e == nullptr || e->pending == 0)
      return false;
    park(*e, op, rt);
    return true;
  }

  // -- client operations ------------------------------------------------------

  void mark_online(client_op&& op, reply_target&& rt);

  /// mark_offline, mark_offline_all and update_activity.
  void change_session(client_op&& op, reply_target&& rt);

  void update_metadata(client_op&& op, reply_target&& rt);

  /// Removes the sessions of `e` that `sel` selects, with a `kind` event for
  /// each and, if that empties the user, an "offline" event. Appends where
  /// they were to `targets` if given.
  uint32_t remove_sessions(user_entry& e, const removal_selector& sel,
                           event_kind kind, const std::string& reason,
                           std::vector<session_target>* targets);

  /// After a removal: retires an emptied user, or tells its actor what went.
  void after_removal(user_entry& e, uint32_t removed, client_op& op);

  // -- the cluster (session_changes_cluster.cpp) ------------------------------

  /// Applies another owner's changes, in order (cluster_feed.hpp). Invalid
  /// changes and claims on a token this node owns are dropped and counted.
  void apply_remote(remote_update& u, const limits& lim);

  /// A newer login of the token on `node` won: this node's session leaves
  /// with a `moved` event. False if there was no such local session.
  bool move_out(const std::string& login_id, const std::string& token,
                const std::string& node);

  /// A peer joined (`up`) or was lost: a node_up / node_down event.
  void node_event(bool up, const std::string& node);

  /// Sends a write on one session to its owner if another node owns it;
  /// true if it went (or, from a peer, was answered: never forwarded twice).
  bool route_token_write(user_entry& e, client_op& op, reply_target& rt,
                         forwarded_writes::answer_kind kind);

  /// The user's sessions other nodes own, except `token` (a login of that
  /// token moves it here), as a login policy counts them: token, device,
  /// connect time and node (docs/design.md, "Login policies in a cluster").
  std::vector<online_user> others_of(const user_entry& e,
                                     const std::string& token) const;

  /// A login policy here replaced these sessions of `e` that other nodes
  /// own: each owner is asked to kick its own (a KickOut with reason
  /// "replaced"); they leave this view when the owner's delta arrives.
  void kick_remote(user_entry& e, const std::vector<std::string>& tokens);

  /// The answer target of a login-level write's local part: `rt` itself,
  /// or a part of a forwarded write if other nodes own sessions of the
  /// user (sent to each of them here).
  reply_target split_login_write(user_entry& e, client_op& op,
                                 reply_target&& rt,
                                 forwarded_writes::answer_kind kind);

  // -- answers of user actors -------------------------------------------------

  /// The user actor `from` answered a forwarded login.
  void on_join_answer(user_update& u, caf::actor_id from);

  /// The user actor of a forwarded login is gone.
  void on_join_failed(uint64_t ticket, caf::error err);

  // -- idle expiry (session_changes_idle.cpp) ---------------------------------

  /// The user actor `from` took sessions offline after the idle timeout.
  void on_expired(user_update& u, caf::actor_id from);

  /// The idle wheel's slot has come: asks its users' actors to check.
  void on_tick();

  // -- presence events --------------------------------------------------------

  void emit(event_kind kind, online_user session, std::string reason);

  void emit(event_kind kind, const std::string& login_id,
            const session_record& s, std::string reason) {
    if (parts_.events_on())
      emit(kind, s.to_online_user(login_id, view_.nodes.name_of(s.owner)),
           std::move(reason));
  }

  /// Calls `f(target)` for every login waiting for its user actor.
  template <class F>
  void for_each_forwarded(F f) {
    forwarded_.for_each([&](forwarded_command& fc) { f(fc.target); });
  }

  /// Calls `f(target)` for every call parked behind a busy user.
  template <class F>
  void for_each_parked(F f) {
    for (auto& e : view_.table.entries())
      if (e.parked)
        for (auto& p : *e.parked)
          f(p.target);
  }

private:
  /// A login forwarded to a user actor, waiting for its answer.
  struct forwarded_command {
    reply_target target;
    std::string login_id;
  };

  template <class Pred>
  uint32_t take_sessions(user_entry& e, Pred pred, event_kind kind,
                         const std::string& reason,
                         std::vector<session_target>* targets);

  /// What a removal did: sessions removed, sessions left.
  struct removal {
    uint32_t removed = 0;
    uint32_t left = 0;
  };

  /// With `retire_emptied`, a user left without sessions is erased under the
  /// same write lock and its actor retired: `e` is gone when `left` is 0.
  template <class Pred>
  removal remove_where(user_entry& e, Pred pred, event_kind kind,
                       const std::string& reason,
                       std::vector<session_target>* targets,
                       bool retire_emptied = false);

  /// Whether this node owns any of `e`'s sessions.
  static bool has_local_session(const user_entry& e);

  /// Whether other nodes own any of `e`'s sessions.
  static bool has_remote_session(const user_entry& e);

  /// Applies one of another owner's changes (apply_remote); `hash` is
  /// user_table::hash of its login id.
  void apply_remote_change(owner_id owner, remote_change& c, size_t hash,
                           const std::string& reason, const limits& lim);

  /// Another node's session joined `e`: under the configured `replace`
  /// policy, kicks this node's sessions that lose against the view.
  void settle_policy(user_entry& e);

  /// The user actor of a user with no local session left goes to
  /// retirement; the entry stays for other owners' sessions.
  void release_actor(user_entry& e);

  /// A remote-only user logs in here: its actor starts with the session.
  void join_known_user(user_entry& e, client_op& op, reply_target& rt);

  /// Erases `e` if it has neither sessions nor an actor (nor calls on it).
  void erase_if_unused(user_entry& e);

  void park(user_entry& e, client_op& op, reply_target& rt);
  bool apply_join(user_entry& e, user_update& u, reply_target& rt);
  void replay_parked(std::unique_ptr<parked_queue> parked);
  void retire_user(user_entry& e);
  void erase_user(user_entry& e);
  void drop_lost_user(user_entry& e);
  void on_check_failed(const std::string& login_id, caf::actor_id actor);
  void arm_idle_check(user_entry& e, time_point due);
  bool take_forwarded(uint64_t ticket, forwarded_command& out);
  /// The user's entry if `from` is its current actor (not one the user had
  /// before going offline and coming back).
  user_entry* entry_of(const std::string& login_id, caf::actor_id from);

  callee& owner_;
  hooks& parts_;
  presence_view& view_;
  client_replies& replies_;
  event_outbox& events_;
  login_policy policy_;
  caf::timespan idle_timeout_;
  idle_wheel wheel_;
  slab<forwarded_command> forwarded_;
  cluster_link* link_ = nullptr;
};

} // namespace presence::detail

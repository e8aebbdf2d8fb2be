#include "actors/registry_actor.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/optional.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "registry/offline_buffer.hpp"
#include "registry/parked_op.hpp"
#include "actors/pusher_relay.hpp"
#include "registry/reply_target.hpp"
#include "registry/session_ops.hpp"
#include "actors/user_actor.hpp"
#include "registry/event_outbox.hpp"
#include "registry/idle_wheel.hpp"
#include "registry/message_ids.hpp"
#include "actors/user_retirement.hpp"
#include "presence/detail/slab.hpp"
#include "presence/error.hpp"
#include "presence/registry.hpp"
#include "presence/detail/validate_op.hpp"

namespace presence::detail {

namespace {

using write_lock = std::unique_lock<std::shared_mutex>;

// One push's share of a delivery batch.
//
// A facade push to one online user (the hot path) has no push_state: all of
// its deliveries are in this one batch, so the part itself carries the reply
// (client and ticket) and the message id for the report. That saves a slab
// entry set up, looked up and reset per push, a large share of the
// registry's work per push (docs/performance.md).
struct contribution {
  /// Key in `pushes`; `direct` for a part that carries its own reply.
  uint64_t push = 0;
  uint32_t users = 0;
  uint32_t sessions = 0;
  /// Direct parts: where the report goes, and its message id.
  uint32_t client = 0;
  uint64_t ticket = 0;
  std::string message_id;

  static constexpr uint64_t direct = 0; // slab keys are never 0
};

// A batch sent to every pusher, waiting for their answers.
struct batch_state {
  std::vector<contribution> parts;
  /// The relays (see relay_entry) whose pushers have not answered yet.
  std::vector<caf::actor_id> waiting;
  /// Pushers that failed this batch; every push in it reports them.
  std::vector<pusher_failure> failures;
  /// When the pushers that have not answered by then time out.
  caf::actor_clock::time_point deadline;
  bool any_ok = false;
};

// A push being routed or waiting for its batches.
struct push_state {
  reply_target target;
  delivery_report report;
  push_message message;
  uint32_t open_batches = 0;
  bool routed = false;

  // Called by the slab on erase: cheaper than assigning a fresh push_state
  // (about 400 bytes), and the strings keep their buffers for the next push.
  void reset() {
    target = reply_target{};
    report.message_id.clear();
    report.users_reached = report.sessions_reached = report.users_targeted = 0;
    report.not_online.clear();
    report.failed_pushers.clear();
    report.buffered = report.dropped = 0;
    message.message_id.clear();
    message.content.clear();
    message.metadata.clear();
    message.type = message_type{};
    message.timestamp = caf::timestamp{};
    message.keep_if_offline = false;
    open_batches = 0;
    routed = false;
  }
};

// A command a user actor has not answered yet, and whose user it concerns.
struct forwarded_command {
  reply_target target;
  std::string login_id;
};

/// A subscribed pusher or event subscriber.
template <class Handle>
struct member {
  Handle handle;
  caf::actor_id id;
};

using pusher_entry = member<pusher_actor>;

/// A relay that requests batches from one pusher on the registry's behalf
/// (pusher_relay.hpp). A pusher has one current relay; a replaced one drains
/// (gets no new batches) and is told to exit once no batch waits on it, and
/// its exit frees the response handlers CAF keeps for the batches its pusher
/// never answered.
struct relay_entry {
  caf::actor relay;
  caf::actor_id id = 0;
  pusher_actor pusher;
  caf::actor_id pusher_id = 0;
  /// Batches sent through it that still wait for its pusher's answer.
  uint32_t open = 0;
  /// Batches sent through it that timed out here and that the pusher has not
  /// answered since: the relay holds a response handler for each.
  uint32_t held = 0;
  bool draining = false;
  /// A newer relay of the same pusher waits for this one's go.
  bool has_successor = false;
};

struct client_entry {
  client_actor handle;
  client_results out;
};

using subscriber_entry = member<event_subscriber_actor>;

using clock_time = caf::actor_clock::time_point;

/// Selects the sessions whose token is in `tokens` (a policy's victims, a
/// user actor's expiries).
inline auto token_in(const std::vector<std::string>& tokens) {
  return [&tokens](const session_record& s) {
    return std::find(tokens.begin(), tokens.end(), s.token) != tokens.end();
  };
}

/// Presence events are flushed at least this often under load.
constexpr auto event_flush_interval = std::chrono::milliseconds(10);

struct registry_state;

using registry_pointer
  = registry_internal_actor::stateful_pointer<registry_state>;

struct registry_state {
  static inline const char* name = "presence.registry";

  registry_pointer self = nullptr;
  registry_internal_actor handle;
  settings cfg;
  /// cfg.input_limits(), for validating what does not come from the own
  /// facade client.
  limits lim;
  std::shared_ptr<presence_view> view;
  std::vector<pusher_entry> pushers;
  std::vector<relay_entry> relays;
  /// A relay holding this many timed-out batches is replaced: a pusher that
  /// stopped answering pins at most about this many response handlers per
  /// relay, plus the batches of one timeout period (docs/design.md).
  static constexpr uint32_t max_held_batches = 1024;
  std::vector<client_entry> clients;
  std::unordered_map<caf::actor_id, uint32_t> client_index;
  /// Commands sent to user actors, by ticket, waiting for their answer.
  slab<forwarded_command> forwarded;
  slab<push_state> pushes;
  slab<batch_state> batches;
  /// The batch being filled, and which pushes it carries.
  delivery_batch open;
  std::vector<contribution> open_parts;
  message_ids ids;
  /// Which operations of a foreign batch validation refused (reused).
  std::vector<bool> refused_ops;
  bool flush_scheduled = false;
  /// Retired actors go to the retirement thread in chunks of this many, and
  /// whatever is left `reap_delay` after the first of them.
  static constexpr size_t reap_chunk = 4096;
  static constexpr auto reap_delay = std::chrono::milliseconds(100);
  bool reap_scheduled = false;
  user_retirement retirement;
  /// Presence event subscribers and the batch being filled for them.
  std::vector<subscriber_entry> subscribers;
  /// Presence events not yet sent to the subscribers.
  event_outbox events{event_flush_interval};
  std::unique_ptr<offline_buffer> buffer;
  bool sweep_scheduled = false;
  /// A timeout_atom is on its way (see check_pusher_timeouts).
  bool timeout_check_scheduled = false;
  /// Every user's next idle check (idle_wheel.hpp).
  idle_wheel wheel;

  /// CAF destroys the state when the registry terminates, whatever the exit
  /// reason (a kill runs no handler): the one place to answer every typed
  /// request still open and to stop the relays. Facade calls are the
  /// facade's own (it watches the registry).
  ~registry_state() {
    if (view == nullptr)
      return;
    auto answer = [](reply_target& rt) {
      if (rt.client == reply_target::no_client && rt.promise.pending())
        rt.promise.deliver(make_error(error::registry_down));
    };
    forwarded.for_each([&](forwarded_command& fc) { answer(fc.target); });
    pushes.for_each([&](push_state& ps) { answer(ps.target); });
    for (auto& e : table().entries())
      if (e.parked)
        for (auto& p : *e.parked)
          answer(p.target);
    for (auto& r : relays)
      caf::anon_send_exit(r.relay, caf::exit_reason::user_shutdown);
  }

  user_table& table() {
    return view->table;
  }

  view_counters& counters() {
    return view->counters;
  }

  clock_time now() {
    return self->clock().now();
  }

  // -- presence events --------------------------------------------------------

  bool events_on() const noexcept {
    return !subscribers.empty();
  }

  void emit(event_kind kind, online_user session, std::string reason) {
    events.add(presence_event{kind, std::move(session), std::move(reason)});
    bump(counters().events);
    schedule_flush();
  }

  void emit(event_kind kind, const std::string& login_id,
            const session_record& s, std::string reason) {
    if (events_on())
      emit(kind, s.to_online_user(login_id), std::move(reason));
  }

  /// A user went from no session to one: "online" before its "joined".
  void emit_online(const std::string& login_id, const session_record& s) {
    emit(event_kind::online, login_id, s, "login");
  }

  void flush_events() {
    auto batch = events.take(now());
    if (batch.events.empty())
      return;
    auto msg = caf::make_message(presence_events_atom::value,
                                 std::move(batch));
    // One message shared by every subscriber (typed send() would check the
    // signature per call; the content is known to fit).
    for (auto& s : subscribers)
      caf::actor_cast<caf::abstract_actor*>(s.handle)->enqueue(
        self->ctrl(), caf::make_message_id(), msg, self->context());
  }

  /// Under a steady stream of work the flush message waits behind it; this
  /// bounds how long a subscriber waits for events.
  void maybe_flush_events() {
    if (events.overdue(now()))
      flush_events();
  }

  /// Monitors and adds `h` unless it is a member already.
  template <class Handle>
  bool add_member(std::vector<member<Handle>>& xs, const Handle& h) {
    if (std::any_of(xs.begin(), xs.end(),
                    [&](auto& x) { return x.id == h.id(); }))
      return false;
    self->monitor(h);
    xs.push_back(member<Handle>{h, h.id()});
    return true;
  }

  /// Demonitors and removes `h`; false if it was not a member.
  template <class Handle>
  bool remove_member(std::vector<member<Handle>>& xs, const Handle& h) {
    auto i = std::find_if(xs.begin(), xs.end(),
                          [&](auto& x) { return x.id == h.id(); });
    if (i == xs.end())
      return false;
    self->demonitor(h.address());
    xs.erase(i);
    return true;
  }

  /// The handle in a (un)subscribe call, or an error for an invalid one.
  /// Subscribing (`live`) also refuses an actor that has already terminated:
  /// its down message would drop it at once, so "subscribed" would be a lie
  /// (README, "Pushers"). One that dies later is dropped by its monitor.
  template <class Handle>
  Handle member_of(client_op& op, reply_target& rt, error invalid,
                   bool live = false) {
    auto h = caf::actor_cast<Handle>(op.actor);
    if (!h) {
      fail(rt, make_error(invalid));
    } else if (live && has_terminated(op.actor)) {
      fail(rt, make_error(invalid, "the actor has terminated"));
      return Handle{};
    }
    return h;
  }

  static bool has_terminated(const caf::actor& a) {
    auto ptr = caf::actor_cast<caf::abstract_actor*>(a);
    return ptr->getf(caf::abstract_actor::is_terminated_flag)
           || ptr->getf(caf::abstract_actor::is_cleaned_up_flag);
  }

  void subscribe_events(client_op&& op, reply_target&& rt) {
    auto s = member_of<event_subscriber_actor>(op, rt,
                                               error::invalid_subscriber, true);
    if (!s)
      return;
    // Events before the subscription are not replayed: start the new
    // subscriber on a clean batch.
    flush_events();
    add_member(subscribers, s);
    complete(rt, change_result{change_status::subscribed, 0, 0});
  }

  void unsubscribe_events(client_op&& op, reply_target&& rt) {
    auto s = member_of<event_subscriber_actor>(op, rt,
                                               error::invalid_subscriber);
    if (!s)
      return;
    // What happened while it was subscribed still reaches it.
    flush_events();
    auto status = remove_member(subscribers, s)
                    ? change_status::unsubscribed
                    : change_status::unknown_subscriber;
    complete(rt, change_result{status, 0, 0});
  }

  // -- replies ----------------------------------------------------------------

  void schedule_flush() {
    if (!flush_scheduled) {
      flush_scheduled = true;
      self->send(handle, flush_atom::value);
    }
  }

  op_result& client_result(uint32_t client, uint64_t ticket) {
    auto& out = clients[client].out;
    auto& r = out.results.emplace_back();
    r.ticket = ticket;
    schedule_flush();
    return r;
  }

  op_result& client_result(reply_target& rt) {
    return client_result(rt.client, rt.ticket);
  }

  /// Results go to a client in chunks of at most this many as they are
  /// produced, not only when the registry runs dry: a facade with a large
  /// window otherwise waited for one huge message (65k results, ~13 MB) and
  /// the pipeline ran in bursts (docs/performance.md).
  static constexpr size_t results_chunk = 1024;

  /// Call after writing a client's result.
  void result_written(uint32_t client) {
    if (clients[client].out.results.size() >= results_chunk)
      send_results(clients[client]);
  }

  void send_results(client_entry& c) {
    if (!c.handle) {
      // The client is gone: nobody waits for these.
      c.out = client_results{};
      return;
    }
    auto n = c.out.results.size();
    self->send(c.handle, results_atom::value, std::move(c.out));
    c.out = client_results{};
    c.out.results.reserve(std::max<size_t>(n, 16));
  }

  void complete(reply_target& rt, const change_result& x) {
    if (rt.client != reply_target::no_client) {
      client_result(rt).change = x;
      result_written(rt.client);
    } else if (rt.promise.pending()) {
      rt.promise.deliver(x);
    }
  }

  void complete(reply_target& rt, delivery_report&& x) {
    if (rt.client != reply_target::no_client) {
      client_result(rt).report = std::move(x);
      result_written(rt.client);
    } else if (rt.promise.pending()) {
      rt.promise.deliver(std::move(x));
    }
  }

  void fail(reply_target& rt, caf::error err) {
    if (rt.client != reply_target::no_client) {
      client_result(rt).err = std::move(err);
      result_written(rt.client);
    } else if (rt.promise.pending()) {
      rt.promise.deliver(std::move(err));
    }
  }

  // -- dispatch ---------------------------------------------------------------

  void handle_op(client_op&& op, reply_target&& rt) {
    switch (op.kind) {
      case op_kind::mark_online:
        return mark_online(std::move(op), std::move(rt));
      case op_kind::mark_offline:
      case op_kind::mark_offline_all:
      case op_kind::update_activity:
        return change_session(std::move(op), std::move(rt));
      case op_kind::update_metadata:
        return update_metadata(std::move(op), std::move(rt));
      case op_kind::push_user:
        return push_user(std::move(op), std::move(rt));
      case op_kind::push_users:
        return push_users(std::move(op), std::move(rt));
      case op_kind::broadcast:
        return broadcast(std::move(op), std::move(rt));
      case op_kind::kick:
      case op_kind::kick_session:
      case op_kind::kick_device:
        return kick(std::move(op), std::move(rt));
      case op_kind::subscribe:
        return subscribe(std::move(op), std::move(rt));
      case op_kind::unsubscribe:
        return unsubscribe(std::move(op), std::move(rt));
      case op_kind::subscribe_events:
        return subscribe_events(std::move(op), std::move(rt));
      case op_kind::unsubscribe_events:
        return unsubscribe_events(std::move(op), std::move(rt));
    }
    // A number that is no operation kind. validate_op refuses these before
    // they get here; answer anyway.
    fail(rt, make_error(error::malformed_message,
                        "not a client operation: "
                          + std::to_string(static_cast<int>(op.kind))));
  }

  // -- rejecting what nobody may send -------------------------------------------

  /// Counts a rejected or ignored message (presence_stats::rejected).
  void count_rejected() {
    bump(counters().rejected);
  }

  /// Rejects the current message: counted, and answered with
  /// `malformed_message` if it is a request. A one-way message gets no
  /// answer: an error sent as a message would kill a sender that has CAF's
  /// default error handler.
  void reject(std::string what) {
    count_rejected();
    if (self->current_message_id().is_request())
      self->make_response_promise().deliver(
        make_error(error::malformed_message, std::move(what)));
  }

  /// Timer and flush messages are the registry's own: from anyone else they
  /// are rejected rather than run early (a stray sweep with the offline
  /// buffer off once dereferenced a null buffer).
  bool from_self() {
    if (self->current_sender() == self->ctrl())
      return true;
    reject("an internal message from outside the registry");
    return false;
  }

  /// Where a batch comes from: the own facade client if it is the sender,
  /// names itself as reply address and is the client the facade installed
  /// (presence_view::own_client); another sender that names itself is
  /// foreign (its operations are validated). Anything else (no reply
  /// address, or results sent to someone other than the sender) has no
  /// origin and is rejected.
  caf::optional<origin> origin_of(const client_batch& batch) {
    auto& sender = self->current_sender();
    if (!batch.reply_to || sender == nullptr
        || sender != caf::actor_cast<caf::strong_actor_ptr>(batch.reply_to))
      return caf::none;
    if (batch.reply_to.id() == view->own_client.load(std::memory_order_acquire)
        && batch.reply_to.node() == self->node())
      return origin::own_client;
    return origin::foreign_batch;
  }

  // -- prefetching a batch's users ---------------------------------------------

  /// A call's user is prefetched in three stages, each this many calls
  /// after the last: index slot, entry, first session.
  static constexpr size_t prefetch_distance = 6;

  void prefetch_stage(std::vector<client_op>& ops, size_t i, int stage) {
    if (stage == 0) {
      if (!ops[i].user.login_id.empty())
        table().prefetch_slot(hash_of(ops[i]));
    } else if (!ops[i].user.login_id.empty()) {
      if (stage == 1) {
        table().prefetch_entry(ops[i].login_hash);
        // A logout that takes the last session erases the user.
        if (ops[i].kind == op_kind::mark_offline_all
            || ops[i].kind == op_kind::mark_offline)
          table().prefetch_erase(ops[i].login_hash);
      } else
        table().prefetch_sessions(ops[i].login_hash);
    }
  }

  /// Before handling call `i`: stage 2 for i + d, 1 for i + 2d, 0 for i + 3d
  /// (`i` = 0 also starts the calls before those).
  void prefetch_ahead(std::vector<client_op>& ops, size_t i) {
    constexpr auto d = prefetch_distance;
    if (i == 0) {
      for (size_t j = 0; j < std::min(ops.size(), 3 * d); ++j)
        prefetch_stage(ops, j, 0);
      for (size_t j = 0; j < std::min(ops.size(), 2 * d); ++j)
        prefetch_stage(ops, j, 1);
      for (size_t j = 0; j < std::min(ops.size(), d); ++j)
        prefetch_stage(ops, j, 2);
    }
    if (i + 3 * d < ops.size())
      prefetch_stage(ops, i + 3 * d, 0);
    if (i + 2 * d < ops.size())
      prefetch_stage(ops, i + 2 * d, 1);
    if (i + d < ops.size())
      prefetch_stage(ops, i + d, 2);
  }

  /// The table's hash of the call's login id: the facade's, or computed now
  /// and kept with the call (a parked call is looked up again).
  static size_t hash_of(client_op& op) {
    if (op.login_hash == 0)
      op.login_hash = user_table::hash(op.user.login_id);
    return op.login_hash;
  }

  user_entry* find_user(client_op& op) {
    return table().find(op.user.login_id, hash_of(op));
  }

  /// Parks `op` if the user's actor is still applying an earlier change, so
  /// that every call on one user takes effect in the order it was made.
  bool park_if_busy(user_entry* e, client_op& op, reply_target& rt) {
    if (e == nullptr || e->pending == 0)
      return false;
    if (!e->parked)
      e->parked = std::make_unique<parked_queue>();
    e->parked->push_back(parked_op{std::move(op), std::move(rt)});
    bump(counters().parks);
    return true;
  }

  /// Replays the calls parked on a user, oldest first, until one makes the
  /// user busy again (a login forwarded to its actor): the rest stay parked,
  /// in order, as they are. Each parked call is replayed once. (Replaying the
  /// whole queue after every answer parked each remaining call again: n
  /// pipelined logins on one user cost n^2 steps.)
  void replay_parked(std::unique_ptr<parked_queue> parked) {
    if (!parked)
      return;
    while (!parked->empty()) {
      auto p = std::move(parked->front());
      parked->pop_front();
      handle_op(std::move(p.op), std::move(p.target));
      if (parked->empty())
        return;
      // Every call in the queue is on the same login id, whose entry may
      // have changed meanwhile (retired, or a new actor).
      auto e = find_user(parked->front().op);
      if (e != nullptr && e->pending > 0) {
        // Nothing else parks while this loop runs but the call just
        // handled, which did not (the user was not busy); keep it general.
        if (e->parked)
          for (auto& later : *e->parked)
            parked->push_back(std::move(later));
        e->parked = std::move(parked);
        return;
      }
    }
  }

  // -- presence changes -------------------------------------------------------

  void mark_online(client_op&& op, reply_target&& rt) {
    auto& user = op.user;
    auto ts = caf::make_timestamp();
    if (user.connect_time.time_since_epoch().count() == 0)
      user.connect_time = ts;
    if (user.last_activity.time_since_epoch().count() == 0)
      user.last_activity = ts;
    auto e = find_user(op);
    if (park_if_busy(e, op, rt))
      return;
    if (e != nullptr) {
      // An existing user: its actor decides (it owns the sessions and
      // enforces the login policy) and answers with an update that the
      // registry then applies to the table.
      auto ticket = forwarded.insert(
        forwarded_command{std::move(rt), user.login_id});
      ++e->pending;
      user_command cmd{ticket, op_kind::mark_online, std::move(user),
                       op.has_policy ? op.policy : cfg.policy};
      auto me = self;
      self->request(e->actor, caf::infinite, join_atom::value, std::move(cmd))
        .then([me](user_update& u) { me->state.on_join_answer(u); },
              [me, ticket](caf::error& err) {
                me->state.on_join_failed(ticket, std::move(err));
              });
      return;
    }
    // A new user: the actor starts with this session, so the outcome is
    // known here and now (any policy admits a first session).
    auto started = now();
    auto actor = spawn_user(self->system(), user, cfg.idle_timeout, started);
    user_entry* inserted;
    {
      write_lock guard{view->mtx};
      auto login_id = std::move(user.login_id);
      inserted = &table().insert(std::move(login_id), op.login_hash,
                                 std::move(actor),
                                 session_record::from(std::move(user)));
    }
    arm_idle_check(*inserted, started + cfg.idle_timeout);
    complete(rt, change_result{change_status::joined, 1, 0});
    if (events_on()) {
      emit_online(inserted->login_id, inserted->sessions.front());
      emit(event_kind::joined, inserted->login_id, inserted->sessions.front(),
           "login");
    }
    if (buffer && !buffer->empty())
      deliver_buffered(*inserted);
  }

  /// mark_offline, mark_offline_all and update_activity. Each is a pure
  /// function of the session list, so while the user's actor has nothing in
  /// flight the registry applies it to the table at once with the same code
  /// the actor runs (session_ops.hpp) and tells the actor, which mirrors it.
  /// This saves a round trip through the user actor on the hottest writes.
  void change_session(client_op&& op, reply_target&& rt) {
    auto e = find_user(op);
    if (e == nullptr) {
      complete(rt, change_result{change_status::unknown_user, 0, 0});
      return;
    }
    if (park_if_busy(e, op, rt))
      return;
    change_result result;
    if (op.kind == op_kind::update_activity) {
      op.user.last_activity = caf::make_timestamp();
      write_lock guard{view->mtx};
      result = touch_session(e->sessions, op.user.token,
                             op.user.last_activity);
    } else {
      auto removed = remove_sessions(*e, removal_selects(op.kind, op.user),
                                     event_kind::left, "logout", nullptr);
      result = removal_result(removed,
                              static_cast<uint32_t>(e->sessions.size()));
    }
    if (e->sessions.empty()) {
      retire_user(*e);
    } else if (result.status != change_status::unknown_token) {
      self->send(e->actor, apply_atom::value,
                 user_command{0, op.kind, std::move(op.user), {}});
    }
    complete(rt, result);
  }

  /// Metadata lives only in the table (the user actor does not need it), so
  /// this never involves the user actor; it still waits for earlier calls on
  /// the same user.
  void update_metadata(client_op&& op, reply_target&& rt) {
    auto e = find_user(op);
    if (park_if_busy(e, op, rt))
      return;
    if (e == nullptr || e->sessions.empty()) {
      complete(rt, change_result{change_status::unknown_user, 0, 0});
      return;
    }
    auto i = e->sessions.find(op.user.token);
    auto n = static_cast<uint32_t>(e->sessions.size());
    if (i == e->sessions.end()) {
      complete(rt, change_result{change_status::unknown_token, n, 0});
      return;
    }
    {
      write_lock guard{view->mtx};
      if (op.user.metadata.empty())
        i->metadata.reset();
      else
        i->metadata = std::make_unique<metadata_map>(
          std::move(op.user.metadata));
    }
    emit(event_kind::updated, e->login_id, *i, "metadata");
    complete(rt, change_result{change_status::updated, n, 0});
  }

  /// The part of a removal done under the write lock (the caller adjusts the
  /// table's counts): removes the sessions of `e` that `pred` selects, with a
  /// `kind` event for each, and appends where they were (for a KickOut) to
  /// `targets` if given.
  template <class Pred>
  uint32_t take_sessions(user_entry& e, Pred pred, event_kind kind,
                         const std::string& reason,
                         std::vector<session_target>* targets) {
    return remove_matching(e.sessions, pred, [&](const session_record& s) {
      if (targets != nullptr)
        targets->push_back(session_target{s.token, s.device});
      emit(kind, e.login_id, s, reason);
    });
  }

  /// Removes the sessions of `e` that `pred` selects, with a `kind` event for
  /// each and, if that empties the user, an "offline" event. Appends where
  /// they were to `targets` if given.
  template <class Pred>
  uint32_t remove_sessions(user_entry& e, Pred pred, event_kind kind,
                           const std::string& reason,
                           std::vector<session_target>* targets) {
    uint32_t removed;
    {
      write_lock guard{view->mtx};
      auto before = e.sessions.size();
      removed = take_sessions(e, pred, kind, reason, targets);
      table().sessions_changed(e, before);
    }
    if (removed > 0 && e.sessions.empty() && events_on()) {
      auto last = events.back().session;
      emit(event_kind::offline, std::move(last), reason);
    }
    return removed;
  }

  /// The user's last session is gone from the table: its actor has nothing
  /// left to own. The change is visible at once; the actor is destroyed on
  /// the retirement thread (user_retirement.hpp), handed over in chunks so
  /// that a departure costs the registry a vector append. No exit message:
  /// one per actor fans out through the scheduler, which CAF's `stealing`
  /// policy cannot take (docs/design.md, "Retiring user actors").
  void retire_user(user_entry& e) {
    view->retiring.push_back(std::move(e.actor));
    erase_user(e);
    if (view->retiring.size() >= reap_chunk)
      reap();
    else
      schedule_reap();
  }

  void schedule_reap() {
    if (!reap_scheduled) {
      reap_scheduled = true;
      self->delayed_send(handle, reap_delay, reap_atom::value);
    }
  }

  void on_reap() {
    reap_scheduled = false;
    reap();
  }

  void reap() {
    retirement.hand_over(self, view->retiring);
  }

  void erase_user(user_entry& e) {
    write_lock guard{view->mtx};
    table().erase(e);
  }

  /// The user's entry if the current message comes from its actor (not from
  /// an actor the user had before going offline and coming back).
  user_entry* entry_of_sender(const std::string& login_id) {
    auto e = table().find(login_id);
    if (e == nullptr
        || self->current_sender()
             != caf::actor_cast<caf::strong_actor_ptr>(e->actor))
      return nullptr;
    return e;
  }

  /// Takes the forwarded command for `ticket`, if still known.
  bool take_forwarded(uint64_t ticket, forwarded_command& out) {
    auto ptr = forwarded.find(ticket);
    if (ptr == nullptr)
      return false;
    out = std::move(*ptr);
    forwarded.erase(ticket);
    return true;
  }

  /// A user actor answered a forwarded mark_online.
  void on_join_answer(user_update& u) {
    forwarded_command fc;
    if (!take_forwarded(u.ticket, fc))
      return;
    auto e = entry_of_sender(fc.login_id);
    if (e == nullptr) {
      // Cannot happen while the command is pending (the entry stays until
      // its actor has answered), but the answer is the truth either way.
      if (u.err)
        fail(fc.target, std::move(u.err));
      else
        complete(fc.target, u.result);
      return;
    }
    bool came_online = false;
    if (u.err)
      fail(fc.target, std::move(u.err));
    else
      came_online = apply_join(*e, u, fc.target);
    if (--e->pending == 0) {
      auto parked = std::move(e->parked);
      if (e->sessions.empty())
        retire_user(*e);
      // Calls parked behind this login were made before anything the
      // buffer holds could be delivered: they go first.
      replay_parked(std::move(parked));
    }
    if (came_online && buffer && !buffer->empty())
      if (auto again = table().find(fc.login_id); again && !again->sessions.empty())
        deliver_buffered(*again);
  }

  /// The user actor is gone (it can only die by a bug or an outside kill):
  /// its sessions are lost. The user goes offline, with events, and the
  /// calls parked on it replay against that state.
  void on_join_failed(uint64_t ticket, caf::error err) {
    forwarded_command fc;
    if (!take_forwarded(ticket, fc))
      return;
    fail(fc.target, std::move(err));
    auto e = table().find(fc.login_id);
    if (e == nullptr)
      return;
    auto parked = std::move(e->parked);
    drop_lost_user(*e);
    replay_parked(std::move(parked));
  }

  /// Applies the user actor's decision on a new session: the sessions a
  /// policy replaced leave (with a KickOut, reason "replaced"), the new one
  /// joins, under one write lock so that no reader sees the user without a
  /// session in between. Returns whether the user came online.
  bool apply_join(user_entry& e, user_update& u, reply_target& rt) {
    auto was_empty = e.sessions.empty();
    std::vector<session_target> replaced;
    auto token = u.session.token;
    change_result result;
    {
      write_lock guard{view->mtx};
      auto before = e.sessions.size();
      if (was_empty && events_on()) {
        // "online" comes first; the session is the one joining.
        emit(event_kind::online, u.session, "login");
      }
      if (!u.tokens.empty())
        bump(counters().replaced,
             take_sessions(e, token_in(u.tokens), event_kind::replaced,
                           "replaced", &replaced));
      result = upsert_session(e.sessions,
                              session_record::from(std::move(u.session)));
      table().sessions_changed(e, before);
    }
    if (!e.check_armed) // the actor's checks stopped when it had no session
      arm_idle_check(e, now() + cfg.idle_timeout);
    complete(rt, u.result);
    if (events_on()) {
      auto& joined = *e.sessions.find(token);
      if (result.status == change_status::joined)
        emit(event_kind::joined, e.login_id, joined, "login");
      else
        emit(event_kind::updated, e.login_id, joined, "reconnect");
    }
    if (!replaced.empty()) {
      auto id = start_push(make_kick_out_message("replaced"), reply_target{});
      add_delivery(id, *pushes.find(id), e.login_id, replaced.data(),
                   replaced.size(), true);
      finish_routing(id);
    }
    return was_empty;
  }

  /// A user actor took sessions offline after the idle timeout. The actor
  /// owns its sessions, so its decision stands; the table follows in the
  /// actor's order (updates from one actor arrive in order).
  void on_expired(user_update& u) {
    auto e = entry_of_sender(u.session.login_id);
    if (e == nullptr)
      return; // The user went offline meanwhile; the expiry changed nothing.
    // This answer ends the chain's current check; it continues below if the
    // actor still has sessions.
    e->check_armed = false;
    if (!u.tokens.empty())
      bump(counters().expiries, remove_sessions(*e, token_in(u.tokens),
                                                event_kind::expired, "idle",
                                                nullptr));
    if (u.next_check.count() > 0)
      arm_idle_check(*e, clock_time{u.next_check});
    // While a forwarded call is in flight the (empty) entry stays: the
    // actor's answer will refill it or on_join_answer retires it.
    if (e->sessions.empty() && e->pending == 0)
      retire_user(*e);
  }

  /// An idle check found the user's actor gone (it can only die by a bug or
  /// an outside kill): the user's sessions are lost and the user goes
  /// offline, with events. With a login in flight, on_join_failed cleans up.
  void on_check_failed(const std::string& login_id, caf::actor_id actor) {
    auto e = table().find(login_id);
    if (e == nullptr || e->actor.id() != actor || e->pending > 0)
      return;
    drop_lost_user(*e);
  }

  /// The user's actor is dead: its sessions leave (reason "actor_down") and
  /// the entry goes; there is no actor left to retire.
  void drop_lost_user(user_entry& e) {
    remove_sessions(e, [](const session_record&) { return true; },
                    event_kind::left, "actor_down", nullptr);
    erase_user(e);
  }

  // -- idle wheel -------------------------------------------------------------

  /// Files the user's next idle check at `due` (rounded up to the wheel's
  /// granularity: a session expires at most one slot after its deadline).
  void arm_idle_check(user_entry& e, clock_time due) {
    if (cfg.idle_timeout.count() <= 0)
      return;
    e.check_armed = true;
    if (auto at = wheel.file(idle_check{e.login_id, e.actor.id()}, due)) {
      auto delay = std::max<caf::timespan>(*at - now(), caf::timespan{0});
      self->delayed_send(handle, delay, tick_atom::value);
    }
  }

  /// Asks every user whose slot has come to check its sessions.
  void on_tick() {
    for (auto& c : wheel.take_due(now())) {
      auto e = table().find(c.login_id);
      if (e == nullptr || e->actor.id() != c.actor)
        continue;
      // A plain send, not a request: requests cost a response handler each
      // (docs/design.md, "Session lifecycle"). The actor's answer comes back as a
      // user_update message. An actor that died (a bug or an outside kill)
      // would drop the check and end the chain; catch that here instead, so
      // its user still goes offline.
      auto ptr = caf::actor_cast<caf::abstract_actor*>(e->actor);
      if (ptr->getf(caf::abstract_actor::is_terminated_flag)
          || ptr->getf(caf::abstract_actor::is_cleaned_up_flag)) {
        on_check_failed(c.login_id, c.actor);
        continue;
      }
      self->send(e->actor, expire_atom::value, std::move(c.login_id));
    }
  }

  // -- pushes -----------------------------------------------------------------

  uint64_t start_push(push_message&& msg, reply_target&& rt) {
    auto id = start_push_keeping(msg, std::move(rt));
    pushes.at(id).message = std::move(msg);
    return id;
  }

  /// Starts a push whose message stays with the caller (a push to one user
  /// hands it straight to the batch: one move of ~170 bytes less).
  uint64_t start_push_keeping(push_message& msg, reply_target&& rt) {
    ids.stamp(msg);
    auto id = pushes.emplace();
    auto& ps = pushes.at(id);
    bump(counters().pushes);
    ps.target = std::move(rt);
    ps.report.message_id = msg.message_id;
    return id;
  }

  /// Adds one user's sessions to the open batch. `only` says this is the
  /// push's only delivery, so its message can move; `held` is that
  /// message when the push state does not hold it (start_push_keeping).
  template <class Session>
  void add_delivery(uint64_t push_id, push_state& ps,
                    const std::string& login_id, const Session* sessions,
                    size_t count, bool only = false,
                    push_message* held = nullptr) {
    ++ps.report.users_targeted;
    if (pushers.empty())
      return;
    if (open_parts.empty() || open_parts.back().push != push_id) {
      if (held != nullptr)
        open.messages.push_back(std::move(*held));
      else if (only)
        open.messages.push_back(std::move(ps.message));
      else
        open.messages.push_back(ps.message);
      open_parts.emplace_back().push = push_id;
      ++ps.open_batches;
    }
    auto& part = open_parts.back();
    ++part.users;
    part.sessions += static_cast<uint32_t>(count);
    append_sessions(login_id, sessions, count);
  }

  /// Appends one user's delivery of the open batch's last message; sends the
  /// batch when it is full.
  template <class Session>
  void append_sessions(const std::string& login_id, const Session* sessions,
                       size_t count) {
    auto first = static_cast<uint32_t>(open.sessions.size());
    for (size_t i = 0; i < count; ++i)
      open.sessions.push_back(
        session_target{sessions[i].token, sessions[i].device});
    open.deliveries.push_back(
      delivery{login_id, static_cast<uint32_t>(open.messages.size() - 1),
               first, static_cast<uint32_t>(count)});
    if (open.deliveries.size() >= cfg.batch_size)
      send_open_batch();
  }

  void add_delivery(uint64_t push_id, push_state& ps, const user_entry& e,
                    bool only = false) {
    add_delivery(push_id, ps, e.login_id, e.sessions.data(),
                 e.sessions.size(), only);
  }

  // -- offline buffer ---------------------------------------------------------

  /// Publishes what a buffer operation changed: drops since `drops_before`
  /// and the buffer's size.
  void note_buffer(uint64_t drops_before) {
    bump(counters().drops, buffer->drops() - drops_before);
    counters().buffer_size.store(buffer->size(), std::memory_order_relaxed);
  }

  /// An offline user was named by a push that asked to be kept.
  void keep_for_offline(push_state& ps, const std::string& login_id,
                        const push_message& msg) {
    if (!buffer) {
      ++ps.report.dropped;
      bump(counters().drops);
      return;
    }
    auto before = buffer->drops();
    auto res = buffer->put(login_id, msg, now());
    if (res.kept) {
      ++ps.report.buffered;
      bump(counters().buffered);
    }
    ps.report.dropped += res.dropped;
    note_buffer(before);
    schedule_sweep();
  }

  /// The user came online: its buffered messages go out, oldest first, each
  /// as a push of its own (in order: one batch stream, one registry). With no
  /// pusher subscribed they stay buffered.
  void deliver_buffered(user_entry& e) {
    if (pushers.empty() || !buffer->has(e.login_id))
      return;
    auto before = buffer->drops();
    auto msgs = buffer->take(e.login_id, now());
    note_buffer(before);
    for (auto& msg : msgs) {
      auto id = start_push(std::move(msg), reply_target{});
      add_delivery(id, *pushes.find(id), e, true);
      finish_routing(id);
    }
  }

  void schedule_sweep() {
    if (sweep_scheduled || !buffer || buffer->empty())
      return;
    sweep_scheduled = true;
    auto delay = std::max<caf::timespan>(buffer->next_expiry() - now(),
                                         std::chrono::milliseconds(10));
    self->delayed_send(handle, delay, sweep_atom::value);
  }

  void on_sweep() {
    sweep_scheduled = false;
    auto before = buffer->drops();
    buffer->sweep(now());
    note_buffer(before);
    schedule_sweep();
  }

  void finish_routing(uint64_t push_id) {
    auto& ps = *pushes.find(push_id);
    ps.routed = true;
    if (ps.open_batches == 0)
      finalize(push_id, ps);
    else
      schedule_flush();
  }

  void finalize(uint64_t push_id, push_state& ps) {
    complete(ps.target, std::move(ps.report));
    pushes.erase(push_id);
  }

  void send_open_batch() {
    if (open.deliveries.empty())
      return;
    batch_state bs;
    auto bs_parts_hint = open_parts.size();
    bs.parts = std::move(open_parts);
    open_parts = {};
    open_parts.reserve(bs_parts_hint);
    if (pushers.empty()) {
      // The last pusher went down after the deliveries were routed: nothing
      // can reach anyone.
      open = delivery_batch{};
      settle(bs.parts, false);
      return;
    }
    for (auto& r : relays)
      if (!r.draining)
        bs.waiting.push_back(r.id);
    bs.deadline = now() + cfg.pusher_timeout;
    auto id = batches.insert(std::move(bs));
    schedule_timeout_check(cfg.pusher_timeout);
    open.id = id;
    // The next batch is likely the size of this one: reserving that much
    // avoids regrowing (and copying) its vectors element by element.
    auto n_messages = open.messages.size();
    auto n_deliveries = open.deliveries.size();
    auto n_sessions = open.sessions.size();
    auto msg = caf::make_message(deliver_atom::value, std::move(open));
    open = delivery_batch{};
    open.messages.reserve(n_messages);
    open.deliveries.reserve(n_deliveries);
    open.sessions.reserve(n_sessions);
    // Each pusher's relay makes the request (pusher_relay.hpp) and reports
    // the answer. One timeout message at the oldest batch's deadline covers
    // every batch: per-request timeouts lock CAF 0.17's clock and wake its
    // thread for each batch (docs/performance.md).
    for (auto& r : relays)
      if (!r.draining) {
        ++r.open;
        caf::actor_cast<caf::abstract_actor*>(r.relay)->enqueue(
          self->ctrl(), caf::make_message_id(), msg, self->context());
      }
  }

  void schedule_timeout_check(caf::timespan delay) {
    if (timeout_check_scheduled)
      return;
    timeout_check_scheduled = true;
    self->delayed_send(handle, delay, timeout_atom::value);
  }

  /// Fails the pushers that have not answered a batch by its deadline, then
  /// waits for the next deadline. Every batch gets the same timeout, so the
  /// check scheduled for the oldest open batch is never late for another.
  void check_pusher_timeouts() {
    timeout_check_scheduled = false;
    auto t = now();
    std::vector<uint64_t> expired;
    auto next = caf::actor_clock::time_point::max();
    batches.for_each_key([&](uint64_t key, batch_state& bs) {
      if (bs.deadline <= t)
        expired.push_back(key);
      else
        next = std::min(next, bs.deadline);
    });
    auto timeout = caf::make_error(caf::sec::request_timeout);
    for (auto key : expired)
      if (auto bs = batches.find(key))
        for (auto rid : std::vector<caf::actor_id>{bs->waiting})
          if (auto r = find_relay(rid)) {
            // The relay keeps the request until the pusher answers it.
            ++r->held;
            on_pusher_answer(key, *r, timeout);
          }
    tidy_relays();
    if (next != caf::actor_clock::time_point::max())
      schedule_timeout_check(next - t);
  }

  /// A relay reports its pusher's answer to a batch.
  void on_relay_answer(uint64_t batch_id, const caf::error& err) {
    auto sender = self->current_sender();
    auto r = sender ? find_relay(sender->id()) : nullptr;
    if (r == nullptr)
      return; // Not from a relay of ours (or from one already gone).
    if (!on_pusher_answer(batch_id, *r, err) && r->held > 0) {
      // An answer after the batch timed out: the relay freed its handler.
      --r->held;
    }
    if (r->draining && r->open == 0)
      drop_relay(r->id);
  }

  /// Records the answer of relay `r`'s pusher to a batch (a value, an error,
  /// its death or the timeout). False if the batch no longer waited for it.
  bool on_pusher_answer(uint64_t batch_id, relay_entry& r,
                        const caf::error& err) {
    auto bsp = batches.find(batch_id);
    if (bsp == nullptr)
      return false;
    auto& bs = *bsp;
    // Each pusher answers once: a late answer after the timeout or the
    // pusher's death was counted is ignored.
    auto w = std::find(bs.waiting.begin(), bs.waiting.end(), r.id);
    if (w == bs.waiting.end())
      return false;
    bs.waiting.erase(w);
    --r.open;
    if (!err)
      bs.any_ok = true;
    else
      bs.failures.push_back(pusher_failure{r.pusher_id, err});
    if (!bs.waiting.empty())
      return true;
    auto parts = std::move(bs.parts);
    auto failures = std::move(bs.failures);
    auto ok = bs.any_ok;
    batches.erase(batch_id);
    settle(parts, ok, failures);
    return true;
  }

  // -- relays -----------------------------------------------------------------

  relay_entry* find_relay(caf::actor_id id) {
    for (auto& r : relays)
      if (r.id == id)
        return &r;
    return nullptr;
  }

  /// Gives pusher `p` a new current relay. If an older relay of `p` still
  /// drains, the new one starts requesting only after the old one handed on
  /// everything it was sent: batches reach a pusher in the order they were
  /// sent.
  void add_relay(const pusher_actor& p) {
    relay_entry* prev = nullptr;
    for (auto& r : relays)
      if (r.pusher_id == p.id() && !r.has_successor)
        prev = &r;
    auto relay = spawn_pusher_relay(self->system(), handle, p,
                                    prev != nullptr);
    if (prev != nullptr) {
      prev->has_successor = true;
      // A typed actor cannot send() to an untyped one.
      caf::actor_cast<caf::abstract_actor*>(prev->relay)->enqueue(
        self->ctrl(), caf::make_message_id(),
        caf::make_message(relay_handover_atom::value, relay), self->context());
    }
    auto& r = relays.emplace_back();
    r.id = relay.id();
    r.relay = std::move(relay);
    r.pusher = p;
    r.pusher_id = p.id();
  }

  /// Tells a relay to exit (freeing what it holds) and forgets it. Its exit
  /// message queues behind the batches sent to it, so it hands those on
  /// first.
  void drop_relay(caf::actor_id id) {
    auto i = std::find_if(relays.begin(), relays.end(),
                          [&](auto& r) { return r.id == id; });
    if (i == relays.end())
      return;
    self->send_exit(i->relay, caf::exit_reason::user_shutdown);
    relays.erase(i);
  }

  /// The pusher's current relay gets no new batches; it exits once none
  /// waits on it. With `successor`, a new relay takes over (add_relay).
  void drain_relay(caf::actor_id pusher_id, bool successor) {
    for (auto& r : relays) {
      if (r.pusher_id != pusher_id || r.draining)
        continue;
      r.draining = true;
      auto p = r.pusher;
      auto open = r.open;
      auto id = r.id;
      if (successor)
        add_relay(p); // invalidates r
      if (open == 0)
        drop_relay(id);
      return;
    }
  }

  /// After timeouts: replaces every relay that holds too many timed-out
  /// batches, and lets draining relays with nothing open exit.
  void tidy_relays() {
    std::vector<caf::actor_id> full;
    std::vector<caf::actor_id> done;
    for (auto& r : relays)
      if (!r.draining && r.held > max_held_batches)
        full.push_back(r.pusher_id);
      else if (r.draining && r.open == 0)
        done.push_back(r.id);
    for (auto rid : done)
      drop_relay(rid);
    for (auto pid : full)
      drain_relay(pid, true);
  }

  /// Every pusher has answered a batch: credit its pushes, finish those that
  /// have no other batch open.
  void settle(std::vector<contribution>& parts, bool ok,
              const std::vector<pusher_failure>& failures = {}) {
    uint64_t delivered = 0;
    for (auto& part : parts) {
      if (ok)
        delivered += part.sessions;
      if (part.push == contribution::direct) {
        auto& rep = client_result(part.client, part.ticket).report;
        rep.message_id = std::move(part.message_id);
        rep.users_targeted = part.users;
        if (ok) {
          rep.users_reached = part.users;
          rep.sessions_reached = part.sessions;
        }
        rep.failed_pushers = failures;
        result_written(part.client);
        continue;
      }
      auto& ps = *pushes.find(part.push);
      if (ok) {
        ps.report.users_reached += part.users;
        ps.report.sessions_reached += part.sessions;
      }
      // A push spread over several batches names each failed pusher once.
      auto& failed = ps.report.failed_pushers;
      for (auto& f : failures)
        if (std::none_of(failed.begin(), failed.end(),
                         [&](auto& x) { return x.pusher == f.pusher; }))
          failed.push_back(f);
      if (--ps.open_batches == 0 && ps.routed)
        finalize(part.push, ps);
    }
    bump(counters().deliveries, delivered);
  }

  void push_user(client_op&& op, reply_target&& rt) {
    auto e = find_user(op);
    if (park_if_busy(e, op, rt))
      return;
    if (e != nullptr && !e->sessions.empty() && !pushers.empty()
        && rt.client != reply_target::no_client)
      return push_direct(op.message, rt, *e);
    auto id = start_push_keeping(op.message, std::move(rt));
    auto& ps = *pushes.find(id);
    if (e != nullptr && !e->sessions.empty()) {
      add_delivery(id, ps, e->login_id, e->sessions.data(), e->sessions.size(),
                   true, &op.message);
    } else {
      if (op.message.keep_if_offline)
        keep_for_offline(ps, op.user.login_id, op.message);
      ps.report.not_online.push_back(std::move(op.user.login_id));
    }
    finish_routing(id);
  }

  /// The hot path: a facade push to one online user, with pushers to take
  /// it. No push_state; the batch part carries the reply (see contribution).
  void push_direct(push_message& msg, reply_target& rt, const user_entry& e) {
    ids.stamp(msg);
    bump(counters().pushes);
    auto& part = open_parts.emplace_back();
    part.push = contribution::direct;
    part.users = 1;
    part.sessions = static_cast<uint32_t>(e.sessions.size());
    part.client = rt.client;
    part.ticket = rt.ticket;
    part.message_id = msg.message_id;
    open.messages.push_back(std::move(msg));
    append_sessions(e.login_id, e.sessions.data(), e.sessions.size());
    schedule_flush();
  }

  // Multi-user pushes use each user's sessions as the table has them when the
  // push is routed (no parking across users).
  void push_users(client_op&& op, reply_target&& rt) {
    auto id = start_push(std::move(op.message), std::move(rt));
    auto& ps = *pushes.find(id);
    std::unordered_set<std::string> seen;
    seen.reserve(op.login_ids.size());
    for (auto& login_id : op.login_ids) {
      if (!seen.insert(login_id).second)
        continue;
      auto e = table().find(login_id);
      if (e != nullptr && !e->sessions.empty()) {
        add_delivery(id, ps, *e);
      } else {
        if (ps.message.keep_if_offline)
          keep_for_offline(ps, login_id, ps.message);
        ps.report.not_online.push_back(login_id);
      }
    }
    finish_routing(id);
  }

  void broadcast(client_op&& op, reply_target&& rt) {
    auto id = start_push(std::move(op.message), std::move(rt));
    auto& ps = *pushes.find(id);
    if (pushers.empty())
      ps.report.users_targeted = table().user_count();
    else
      for (auto& e : table().entries())
        if (!e.sessions.empty())
          add_delivery(id, ps, e);
    finish_routing(id);
  }

  /// kick_out_notify (every session), kick_out_session (one token) and
  /// kick_out_device (one device type). The KickOut batch captures the
  /// sessions first; they go offline now, whatever the pushers answer.
  void kick(client_op&& op, reply_target&& rt) {
    auto e = find_user(op);
    if (park_if_busy(e, op, rt))
      return;
    auto reason = op.message.content.empty() ? std::string{"kicked"}
                                             : op.message.content;
    auto id = start_push(std::move(op.message), std::move(rt));
    auto& ps = *pushes.find(id);
    if (e == nullptr || e->sessions.empty()) {
      ps.report.not_online.push_back(std::move(op.user.login_id));
      finish_routing(id);
      return;
    }
    std::vector<session_target> targets;
    auto n = remove_sessions(*e, removal_selects(op.kind, op.user),
                             event_kind::kicked, reason, &targets);
    bump(counters().kicks, n);
    if (n > 0)
      add_delivery(id, ps, e->login_id, targets.data(), targets.size(), true);
    if (e->sessions.empty())
      retire_user(*e);
    else if (n > 0)
      self->send(e->actor, apply_atom::value,
                 user_command{0, op.kind, std::move(op.user), {}});
    finish_routing(id);
  }

  // -- pushers ----------------------------------------------------------------

  void subscribe(client_op&& op, reply_target&& rt) {
    auto p = member_of<pusher_actor>(op, rt, error::invalid_pusher, true);
    if (!p)
      return;
    auto added = add_member(pushers, p);
    if (added)
      add_relay(p);
    complete(rt, change_result{change_status::subscribed, 0, 0});
    if (added && pushers.size() == 1 && buffer && !buffer->empty()) {
      // Messages for users who came online while no pusher could take them.
      for (auto& login_id : buffer->users())
        if (auto e = table().find(login_id); e && !e->sessions.empty())
          deliver_buffered(*e);
    }
  }

  void unsubscribe(client_op&& op, reply_target&& rt) {
    auto p = member_of<pusher_actor>(op, rt, error::invalid_pusher);
    if (!p)
      return;
    auto removed = remove_member(pushers, p);
    // Batches already sent still wait for its answers (or their timeout).
    if (removed)
      drain_relay(p.id(), false);
    auto status = removed ? change_status::unsubscribed
                          : change_status::unknown_pusher;
    complete(rt, change_result{status, 0, 0});
  }

  // -- facade clients ---------------------------------------------------------

  uint32_t client_of(const caf::actor& reply_to) {
    auto i = client_index.find(reply_to.id());
    if (i != client_index.end())
      return i->second;
    auto idx = static_cast<uint32_t>(clients.size());
    clients.push_back(
      client_entry{caf::actor_cast<client_actor>(reply_to), client_results{}});
    client_index.emplace(reply_to.id(), idx);
    self->monitor(reply_to);
    return idx;
  }

  void flush() {
    flush_scheduled = false;
    send_open_batch();
    flush_events();
    for (auto& c : clients)
      if (c.out.batches_done > 0 || !c.out.results.empty())
        send_results(c);
  }

  void on_down(const caf::down_msg& dm) {
    auto id = dm.source.id();
    auto sub = std::find_if(subscribers.begin(), subscribers.end(),
                            [&](auto& x) { return x.id == id; });
    if (sub != subscribers.end())
      subscribers.erase(sub);
    auto i = std::find_if(pushers.begin(), pushers.end(),
                          [&](auto& x) { return x.id == id; });
    if (i != pushers.end()) {
      pushers.erase(i);
      drop_relays_of(id, dm.reason);
      return;
    }
    auto j = client_index.find(id);
    if (j != client_index.end()) {
      clients[j->second] = client_entry{};
      client_index.erase(j);
    }
  }

  /// A pusher died: it never answers the batches it holds (CAF only bounces
  /// requests still in its mailbox), so they fail now rather than at the
  /// timeout, and its relays exit.
  void drop_relays_of(caf::actor_id pusher_id, const caf::error& why) {
    auto reason = why ? why : caf::make_error(caf::sec::request_receiver_down);
    std::vector<caf::actor_id> ids;
    for (auto& r : relays)
      if (r.pusher_id == pusher_id)
        ids.push_back(r.id);
    for (auto rid : ids) {
      std::vector<uint64_t> held;
      batches.for_each_key([&](uint64_t key, batch_state& bs) {
        if (std::find(bs.waiting.begin(), bs.waiting.end(), rid)
            != bs.waiting.end())
          held.push_back(key);
      });
      for (auto key : held)
        if (auto r = find_relay(rid))
          on_pusher_answer(key, *r, reason);
      drop_relay(rid);
    }
  }

  // -- typed requests -----------------------------------------------------------

  /// Every typed request: its operation built by the call struct the facade
  /// builds it with (client_calls.hpp), then taken in as a typed request,
  /// whose origin has it checked with the facade's checks.
  template <class Call>
  caf::result<typename Call::result_type> typed_request(Call call) {
    client_op op;
    call.fill(op);
    if (auto err = receive_op(op, origin::typed_request, lim))
      return err;
    auto rp = self->make_response_promise();
    handle_op(std::move(op), reply_target{reply_target::no_client, 0, rp});
    return rp;
  }
};

registry_internal_actor::behavior_type
registry_behavior(registry_pointer self, settings cfg,
                  std::shared_ptr<presence_view> view) {
  auto& st = self->state;
  st.self = self;
  st.handle = caf::actor_cast<registry_internal_actor>(self);
  st.cfg = cfg;
  st.lim = cfg.input_limits();
  st.view = view;
  st.ids = message_ids{message_ids::make_prefix(to_string(self->node()),
                                                 self->id())};
  st.events.start(self->clock().now());
  st.wheel = idle_wheel{idle_wheel::granularity_for(cfg.idle_timeout)};
  if (cfg.buffer_per_user > 0)
    st.buffer = std::make_unique<offline_buffer>(
      cfg.buffer_per_user, cfg.buffer_ttl, cfg.buffer_max_bytes);
  self->set_down_handler([=](caf::down_msg& dm) {
    // CAF sends a down message as its source; one sent by anybody else is
    // forged (it could make the registry forget its facade client or a
    // pusher) and ignored.
    if (caf::actor_cast<caf::actor_addr>(self->current_sender())
        != dm.source) {
      self->state.count_rejected();
      return;
    }
    self->state.on_down(dm);
  });
  // Anything the interface does not name: counted and dropped (answered with
  // malformed_message if it is a request), never printed or bounced.
  self->set_default_handler(
    [=](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
      self->state.count_rejected();
      if (self->current_message_id().is_request())
        return make_error(error::malformed_message, "unexpected message");
      return caf::delegated<caf::message>{};
    });
  // A bare error message would make CAF's default error handler quit.
  self->set_error_handler(
    [=](caf::scheduled_actor*, caf::error&) { self->state.count_rejected(); });
  // User actors live only as long as the registry that knows them. Their
  // handles are dropped here, not sent exit messages: one exit per actor fans
  // out through the scheduler, which took minutes for a million online users
  // under CAF's stealing policy (docs/design.md, "Retiring user actors").
  self->attach_functor([view](const caf::error&) {
    std::vector<user_actor> handles;
    {
      write_lock guard{view->mtx};
      handles.reserve(view->table.entries().size() + view->retiring.size());
      for (auto& e : view->table.entries())
        if (e.actor)
          handles.push_back(std::move(e.actor));
      for (auto& a : view->retiring)
        handles.push_back(std::move(a));
      view->retiring.clear();
    }
    handles.clear(); // each the actor's last reference: destroyed right here
  });
  using str = std::string;
  return {
    [=](mark_online_atom, online_user& user) {
      return self->state.typed_request(mark_online_call{user});
    },
    [=](mark_online_atom, online_user& user, login_policy& policy) {
      return self->state.typed_request(mark_online_call{user, &policy});
    },
    [=](update_metadata_atom, str& login_id, str& token,
        metadata_map& metadata) {
      return self->state.typed_request(
        metadata_call{login_id, token, metadata});
    },
    [=](stats_atom) -> caf::result<presence_stats> {
      return self->state.view->stats();
    },
    [=](kick_session_atom, str& login_id, str& token, str& reason) {
      auto msg = make_kick_out_message(std::move(reason));
      return self->state.typed_request(
        kick_call::session(login_id, token, msg));
    },
    [=](kick_device_atom, str& login_id, str& device, str& reason) {
      auto msg = make_kick_out_message(std::move(reason));
      return self->state.typed_request(
        kick_call::device_type(login_id, device, msg));
    },
    [=](subscribe_events_atom, event_subscriber_actor& s) {
      return self->state.typed_request(
        member_call{op_kind::subscribe_events, s});
    },
    [=](unsubscribe_events_atom, event_subscriber_actor& s) {
      return self->state.typed_request(
        member_call{op_kind::unsubscribe_events, s});
    },
    [=](mark_offline_atom, str& login_id, str& token) {
      return self->state.typed_request(
        session_call{op_kind::mark_offline, login_id, &token});
    },
    [=](mark_offline_all_atom, str& login_id) {
      return self->state.typed_request(
        session_call{op_kind::mark_offline_all, login_id});
    },
    [=](update_activity_atom, str& login_id, str& token) {
      return self->state.typed_request(
        session_call{op_kind::update_activity, login_id, &token});
    },
    [=](is_online_atom, const str& login_id) -> caf::result<bool> {
      if (auto err = validate_login_id(login_id, self->state.lim))
        return err;
      return self->state.table().find_online(login_id) != nullptr;
    },
    [=](online_count_atom) -> caf::result<uint64_t> {
      return self->state.table().user_count();
    },
    [=](session_count_atom) -> caf::result<uint64_t> {
      return self->state.table().session_count();
    },
    [=](online_users_atom) -> caf::result<std::vector<str>> {
      std::vector<str> result;
      result.reserve(self->state.table().user_count());
      for (auto& e : self->state.table().entries())
        if (!e.sessions.empty())
          result.push_back(e.login_id);
      return result;
    },
    [=](user_sessions_atom,
        const str& login_id) -> caf::result<std::vector<online_user>> {
      if (auto err = validate_login_id(login_id, self->state.lim))
        return err;
      if (auto e = self->state.table().find(login_id))
        return e->online_users();
      return std::vector<online_user>{};
    },
    [=](push_atom, str& login_id, push_message& msg) {
      return self->state.typed_request(push_call{login_id, msg});
    },
    [=](push_atom, std::vector<str>& login_ids, push_message& msg) {
      return self->state.typed_request(push_users_call{login_ids, msg});
    },
    [=](broadcast_atom, push_message& msg) {
      return self->state.typed_request(broadcast_call{msg});
    },
    [=](kick_atom, str& login_id, str& reason) {
      auto msg = make_kick_out_message(std::move(reason));
      return self->state.typed_request(kick_call::user(login_id, msg));
    },
    [=](subscribe_atom, pusher_actor& p) {
      return self->state.typed_request(
        member_call{op_kind::subscribe, p});
    },
    [=](unsubscribe_atom, pusher_actor& p) {
      return self->state.typed_request(
        member_call{op_kind::unsubscribe, p});
    },
    [=](batch_atom, client_batch& batch) {
      auto& st = self->state;
      auto from = st.origin_of(batch);
      if (!from) {
        st.reject("a batch whose reply address is not its sender");
        return;
      }
      auto idx = st.client_of(batch.reply_to);
      // Every operation of a batch gets the batch's origin, which decides
      // whether it is validated (receive_op): the own client checked its
      // calls on its callers' threads already. The others are checked, and
      // hashed, before any operation runs: the prefetches below use hashes.
      auto& refused = st.refused_ops;
      refused.clear();
      if (needs_validation(*from)) {
        refused.assign(batch.ops.size(), false);
        for (size_t i = 0; i < batch.ops.size(); ++i) {
          auto& op = batch.ops[i];
          if (auto err = receive_op(op, *from, st.lim)) {
            refused[i] = true;
            auto rt = reply_target{idx, op.ticket, {}};
            st.fail(rt, std::move(err));
          }
        }
      }
      for (size_t i = 0; i < batch.ops.size(); ++i) {
        st.prefetch_ahead(batch.ops, i);
        auto& op = batch.ops[i];
        if (!refused.empty() && refused[i]) // answered above
          continue;
        // The own client's operations get their origin here, in the pass
        // that handles them.
        op.source = *from;
        auto ticket = op.ticket;
        st.handle_op(std::move(op), reply_target{idx, ticket, {}});
      }
      auto& out = st.clients[idx].out;
      ++out.batches_done;
      if (out.spares.size() < max_spare_batches) {
        batch.ops.clear();
        out.spares.push_back(std::move(batch.ops));
      }
      st.schedule_flush();
      st.maybe_flush_events();
    },
    [=](flush_atom) {
      if (self->state.from_self())
        self->state.flush();
    },
    [=](reap_atom) {
      if (self->state.from_self())
        self->state.on_reap();
    },
    [=](sweep_atom) {
      if (self->state.from_self())
        self->state.on_sweep();
    },
    [=](user_update& u) {
      // A user actor's answer to an idle check. on_expired only acts on one
      // from the user's current actor; one from an actor that is no user
      // actor at all is forged, and counted.
      auto ptr = dynamic_cast<caf::local_actor*>(
        caf::actor_cast<caf::abstract_actor*>(self->current_sender()));
      if (u.kind != update_kind::expire || ptr == nullptr
          || std::strcmp(ptr->name(), "presence.user") != 0) {
        self->state.reject("not an idle check answer from a user actor");
        return;
      }
      self->state.on_expired(u);
      self->state.maybe_flush_events();
    },
    [=](tick_atom) {
      if (self->state.from_self())
        self->state.on_tick();
    },
    [=](timeout_atom) {
      if (self->state.from_self())
        self->state.check_pusher_timeouts();
    },
    [=](pushed_atom, uint64_t batch, const caf::error& err) {
      self->state.on_relay_answer(batch, err);
    },
  };
}

} // namespace

registry_internal_actor
spawn_registry_actor(caf::actor_system& sys, const settings& cfg,
                     std::shared_ptr<presence_view> view) {
  return sys.spawn(registry_behavior, cfg, std::move(view));
}

} // namespace presence::detail

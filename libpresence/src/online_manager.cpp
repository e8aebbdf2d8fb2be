// The facade: batches calls to the registry through a client actor, tracks
// their outcomes in pending<T> states, and answers queries from the
// registry's published view.

#include "presence/online_manager.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <shared_mutex>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/registry_actor.hpp"
#include "presence/detail/slab.hpp"
#include "actors/user_table.hpp"
#include "presence/config.hpp"
#include "presence/error.hpp"
#include "presence/validation.hpp"

namespace presence {

namespace detail {

/// The shared state behind a pending<T>. Recycled by the facade (see
/// manager_core::recycle), so every field is set again when it is reused.
struct op_state {
  /// References: the pending's and, while in flight, the facade's.
  std::atomic<uint32_t> refs{1};
  std::atomic<bool> done{false};
  caf::error err;
  change_result change;
  delivery_report report;
  /// Position in the facade's write order, 0 for pushes.
  uint64_t write_seq = 0;
  /// Null for calls that failed at once (nothing to wait for). Set when the
  /// state is created and never changed, so waiters may read it freely.
  /// States in the facade's pool keep it: the cycle (core -> pool -> state
  /// -> core) is broken when the facade stops and empties its pool.
  std::shared_ptr<manager_core> core;
};

op_ref::op_ref(const op_ref& other) noexcept : ptr_(other.ptr_) {
  if (ptr_ != nullptr)
    ptr_->refs.fetch_add(1, std::memory_order_relaxed);
}

void op_ref::drop(op_state* ptr) noexcept {
  if (ptr->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
    delete ptr;
}

class manager_core : public std::enable_shared_from_this<manager_core> {
public:
  manager_core(caf::actor_system& sys) : sys_(sys) {
  }

  void start() {
    auto cfg = read_settings(sys_);
    if (!cfg) {
      status_ = cfg.error();
      return;
    }
    cfg_ = *cfg;
    view_ = std::make_shared<presence_view>();
    registry_ = spawn_registry_actor(sys_, cfg_, view_);
    std::weak_ptr<manager_core> weak = shared_from_this();
    client_ = sys_.spawn(client_behavior, weak, registry_);
    // The registry trusts batches from this client (it validated them on
    // its callers' threads) and validates everybody else's. Set before the
    // first batch is sent.
    view_->own_client.store(client_.id(), std::memory_order_release);
    lim_ = cfg_.input_limits();
  }

  void stop() {
    if (!status_)
      sync();
    if (registry_)
      caf::anon_send_exit(registry_, caf::exit_reason::user_shutdown);
    if (client_)
      caf::anon_send_exit(client_, caf::exit_reason::user_shutdown);
    // A pending<T> that outlives the manager keeps this core alive: it must
    // keep neither pooled states (a cycle through their `core`) nor actor
    // handles past the actor system.
    std::unique_lock<std::mutex> guard{mtx_};
    pool_closed_ = true;
    for (auto st : pool_)
      delete st;
    pool_.clear();
    registry_ = nullptr;
    client_ = nullptr;
  }

  const caf::error& status() const {
    return status_;
  }

  const registry_actor& registry() const {
    return registry_;
  }

  const settings& cfg() const {
    return cfg_;
  }

  /// The bounds every call is validated against (defaults until started).
  const limits& lim() const {
    return lim_;
  }

  // -- issuing calls ------------------------------------------------------------

  template <class T>
  pending<T> failed(caf::error err) {
    auto st = new op_state;
    st->err = std::move(err);
    st->done = true;
    return pending<T>{op_ref{st}};
  }

  template <class T>
  pending<T> issue(detail::client_op&& op, bool is_write) {
    return issue_with<T>(is_write,
                         [&](detail::client_op& dst) { dst = std::move(op); });
  }

  /// Appends a call to the buffer, built in place by `fill` (saves moving a
  /// ~400-byte client_op on the hot paths).
  template <class T, class Fill>
  pending<T> issue_with(bool is_write, Fill&& fill) {
    if (status_)
      return failed<T>(status_);
    op_state* st;
    {
      std::unique_lock<std::mutex> guard{mtx_};
      space_.wait(guard,
                  [&] { return in_flight_ < cfg_.window || static_cast<bool>(down_); });
      if (down_)
        return failed<T>(down_);
      st = acquire_state();
      auto& op = buffer_.emplace_back();
      fill(op);
      op.ticket = in_flight_ops_.insert(op_ref{st});
      if (is_write) {
        st->write_seq = next_write_;
        next_write_.store(next_write_ + 1, std::memory_order_release);
      }
      ++in_flight_;
      if (batches_in_flight_ < cfg_.batches_in_flight
          || buffer_.size() >= max_buffer)
        send_buffer();
    }
    return pending<T>{op_ref{st}};
  }

  // -- waiting ------------------------------------------------------------------

  /// Waits until every write issued before the call has been applied.
  caf::error await_writes() {
    if (status_)
      return status_;
    auto last = next_write_.load(std::memory_order_acquire) - 1;
    if (writes_done_.load(std::memory_order_acquire) > last)
      return {};
    std::unique_lock<std::mutex> guard{mtx_};
    ++waiters_;
    done_.wait(guard, [&] {
      return writes_done_.load(std::memory_order_relaxed) > last || down_;
    });
    --waiters_;
    if (writes_done_.load(std::memory_order_relaxed) > last)
      return {};
    return down_;
  }

  void wait(const op_state& st) {
    if (st.done.load(std::memory_order_acquire))
      return;
    std::unique_lock<std::mutex> guard{mtx_};
    ++waiters_;
    done_.wait(guard, [&] { return st.done.load(std::memory_order_relaxed); });
    --waiters_;
  }

  bool wait_for(const op_state& st, caf::timespan timeout) {
    if (st.done.load(std::memory_order_acquire))
      return true;
    std::unique_lock<std::mutex> guard{mtx_};
    ++waiters_;
    auto result = done_.wait_for(guard, timeout, [&] {
      return st.done.load(std::memory_order_relaxed);
    });
    --waiters_;
    return result;
  }

  void sync() {
    std::unique_lock<std::mutex> guard{mtx_};
    ++waiters_;
    done_.wait(guard, [&] { return in_flight_ == 0 || down_; });
    --waiters_;
  }

  // -- reading the view ---------------------------------------------------------


  template <class F>
  auto read(F f) -> caf::expected<decltype(f(std::declval<user_table&>()))> {
    if (auto err = await_writes())
      return err;
    std::shared_lock<std::shared_mutex> guard{view_->mtx};
    return f(view_->table);
  }

  caf::expected<presence_stats> read_stats() {
    if (auto err = await_writes())
      return err;
    std::shared_lock<std::shared_mutex> guard{view_->mtx};
    return view_->stats();
  }

private:
  // Calls per batch: large enough to amortise a message, small enough that a
  // batch's memory is recycled by malloc rather than mapped and faulted in.
  static constexpr size_t max_buffer = 1024;
  static constexpr size_t initial_buffer = 64;

  // The pools below keep what a full window of calls needs: up to `window`
  // call states (~250 bytes each) and the batch vectors that hold them
  // (~400 KB each at max_buffer calls). A thread that pushes at full speed
  // otherwise allocates them afresh from its own malloc arena and faults
  // every page in: the benchmark's two new W4 threads took 14-17k page
  // faults per million pushes, 0.2-2.5k with these pools
  // (docs/performance.md). The price is memory kept after a burst, at most
  // ~40 MB at the default window of 65,536 (recycle drops a state's result
  // heap, on_results spares larger than max_buffer); a smaller
  // `presence.window` keeps less.
  size_t max_pooled_states() const {
    return cfg_.window;
  }

  size_t max_spares() const {
    return cfg_.window / max_buffer + cfg_.batches_in_flight;
  }

  // -- op_state recycling (mtx_ held) -------------------------------------------

  /// A state for a new call, with two references: the pending's and the
  /// in-flight table's.
  op_state* acquire_state() {
    op_state* st;
    if (pool_.empty()) {
      st = new op_state;
      st->core = shared_from_this();
    } else {
      st = pool_.back();
      pool_.pop_back();
      st->done.store(false, std::memory_order_relaxed);
      st->write_seq = 0;
    }
    st->refs.store(2, std::memory_order_relaxed);
    return st;
  }

  /// Drops the in-flight table's reference; keeps the state for reuse if it
  /// was the last (the caller dropped its pending without waiting, the
  /// common case under load).
  void recycle(op_state* st) {
    // Count 1 means ours is the only reference left, and no new one can
    // appear: skip the atomic decrement.
    if (st->refs.load(std::memory_order_acquire) != 1
        && st->refs.fetch_sub(1, std::memory_order_acq_rel) != 1)
      return;
    if (pool_closed_ || pool_.size() >= max_pooled_states()) {
      delete st;
      return;
    }
    // A pooled state keeps no heap from its last result: with a window of
    // them, a burst of push_to_users reports (each listing its offline
    // users) would stay allocated.
    st->err = caf::error{};
    if (st->report.not_online.capacity() != 0)
      st->report.not_online = std::vector<std::string>{};
    if (st->report.failed_pushers.capacity() != 0)
      st->report.failed_pushers = std::vector<pusher_failure>{};
    pool_.push_back(st);
  }

  // -- completion (runs in the client actor) ------------------------------------

  void on_results(client_results& rs) {
    {
      std::unique_lock<std::mutex> guard{mtx_};
      for (auto& r : rs.results) {
        auto st = in_flight_ops_.take(r.ticket);
        if (!st)
          continue;
        st->err = std::move(r.err);
        st->change = r.change;
        st->report = std::move(r.report);
        if (st->write_seq != 0)
          write_done(st->write_seq);
        st->done.store(true, std::memory_order_release);
        --in_flight_;
        recycle(st.release());
      }
      batches_in_flight_ -= std::min<size_t>(rs.batches_done,
                                             batches_in_flight_);
      for (auto& spare : rs.spares)
        // A buffer that grew past max_buffer (filled while the batches in
        // flight were at their cap) would keep its larger capacity forever.
        if (spares_.size() < max_spares() && spare.capacity() <= max_buffer)
          spares_.push_back(std::move(spare));
      if (!buffer_.empty() && batches_in_flight_ < cfg_.batches_in_flight)
        send_buffer();
      if (waiters_ > 0)
        done_.notify_all();
      space_.notify_all();
    }
  }

  void on_registry_down(const caf::error& reason) {
    std::unique_lock<std::mutex> guard{mtx_};
    down_ = reason ? make_error(error::registry_down, to_string(reason))
                   : make_error(error::registry_down);
    in_flight_ops_.for_each([&](op_ref& st) {
      st->err = down_;
      st->done.store(true, std::memory_order_release);
    });
    in_flight_ops_ = {};
    in_flight_ = 0;
    buffer_.clear();
    done_.notify_all();
    space_.notify_all();
  }

  /// Sends the buffer as one batch. Called with mtx_ held: two batches taken
  /// by different threads must reach the registry in the order they were
  /// taken, or calls from one thread could overtake each other. anon_send
  /// only enqueues, so holding the lock costs little.
  void send_buffer() {
    ++batches_in_flight_;
    std::vector<client_op> ops;
    if (!spares_.empty()) {
      ops = std::move(spares_.back());
      spares_.pop_back();
    }
    // The next batch is likely the size of this one. Not capped below
    // max_buffer: a 256-call cap (to stay under malloc's initial mmap
    // threshold) cost 5% more instructions per push in regrowth, and glibc
    // raises that threshold after the first large free anyway.
    ops.reserve(std::clamp(buffer_.size(), initial_buffer, max_buffer));
    ops.swap(buffer_);
    // Sent as the client: the registry takes a batch only from the actor
    // its results go to.
    caf::send_as(client_, registry_, batch_atom::value,
                 client_batch{caf::actor_cast<caf::actor>(client_),
                              std::move(ops)});
  }

  /// Marks a write applied and advances the "all writes below are done" mark.
  void write_done(uint64_t seq) {
    auto low = writes_done_.load(std::memory_order_relaxed);
    if (seq != low) {
      early_writes_.push(seq);
      return;
    }
    ++low;
    while (!early_writes_.empty() && early_writes_.top() == low) {
      early_writes_.pop();
      ++low;
    }
    writes_done_.store(low, std::memory_order_release);
  }


  // -- the client actor ---------------------------------------------------------

  static client_actor::behavior_type
  client_behavior(client_actor::pointer self, std::weak_ptr<manager_core> weak,
                  registry_actor registry) {
    self->monitor(registry);
    self->set_down_handler([weak](caf::down_msg& dm) {
      if (auto core = weak.lock())
        core->on_registry_down(dm.reason);
    });
    return {
      [weak](results_atom, client_results& rs) {
        if (auto core = weak.lock())
          core->on_results(rs);
      },
    };
  }

  caf::actor_system& sys_;
  caf::error status_;
  settings cfg_;
  limits lim_;
  std::shared_ptr<presence_view> view_;
  registry_actor registry_;
  client_actor client_;

  std::mutex mtx_;
  std::condition_variable space_;
  std::condition_variable done_;
  size_t waiters_ = 0;
  caf::error down_;
  std::vector<client_op> buffer_;
  /// Emptied batch vectors the registry handed back (client_results::spares):
  /// refilling one costs no reallocation and no copy of the calls (measured:
  /// growing a fresh vector call by call was a quarter of the caller's work).
  std::vector<std::vector<client_op>> spares_;
  size_t batches_in_flight_ = 0;
  size_t in_flight_ = 0;
  /// Calls in flight by ticket; the ticket's generation guarantees that a
  /// stale or forged ticket never completes the wrong call.
  slab<op_ref> in_flight_ops_;
  /// Completed states nobody references, for reuse (see recycle).
  std::vector<op_state*> pool_;
  bool pool_closed_ = false;
  /// Next write sequence number to hand out (written under mtx_).
  std::atomic<uint64_t> next_write_{1};
  /// Every write with a sequence number below this has been applied.
  std::atomic<uint64_t> writes_done_{1};
  std::priority_queue<uint64_t, std::vector<uint64_t>, std::greater<uint64_t>>
    early_writes_;
};

} // namespace detail

// -- pending<T> -----------------------------------------------------------------

namespace {

const change_result& value_of(const detail::op_state& st, change_result*) {
  return st.change;
}

const delivery_report& value_of(const detail::op_state& st, delivery_report*) {
  return st.report;
}

} // namespace

template <class T>
bool pending<T>::ready() const {
  return !state_ || state_->done.load(std::memory_order_acquire);
}

template <class T>
void pending<T>::wait() const {
  if (!state_ || state_->done.load(std::memory_order_acquire))
    return;
  if (auto core = state_->core)
    core->wait(*state_);
}

template <class T>
bool pending<T>::wait_for(caf::timespan timeout) const {
  if (!state_ || state_->done.load(std::memory_order_acquire))
    return true;
  if (auto core = state_->core)
    return core->wait_for(*state_, timeout);
  return state_->done.load(std::memory_order_acquire);
}

template <class T>
caf::expected<T> pending<T>::get() const {
  if (!state_)
    return make_error(error::invalid_option, "empty pending result");
  wait();
  if (state_->err)
    return state_->err;
  return value_of(*state_, static_cast<T*>(nullptr));
}

template class pending<change_result>;
template class pending<delivery_report>;

// -- online_manager -------------------------------------------------------------

using detail::client_op;
using detail::op_kind;

online_manager::online_manager(caf::actor_system& sys)
  : core_(std::make_shared<detail::manager_core>(sys)) {
  core_->start();
}

online_manager::~online_manager() {
  core_->stop();
}

caf::error online_manager::status() const {
  return core_->status();
}

registry_actor online_manager::registry() const {
  return core_->registry();
}

namespace {

client_op make_op(op_kind kind, std::string login_id = {},
                  std::string token = {}) {
  client_op op;
  op.kind = kind;
  op.user.login_id = std::move(login_id);
  op.user.token = std::move(token);
  return op;
}

} // namespace

/// (Un)subscribing a pusher or an event subscriber: `invalid` for an invalid
/// handle, otherwise one call carrying the actor.
template <class Handle>
pending<change_result> membership_call(detail::manager_core& core,
                                       const Handle& handle, op_kind kind,
                                       error invalid) {
  if (!handle)
    return core.failed<change_result>(make_error(invalid));
  return core.issue_with<change_result>(false, [&](client_op& op) {
    op.kind = kind;
    op.actor = caf::actor_cast<caf::actor>(handle);
  });
}

pending<change_result> online_manager::register_pusher(const pusher_actor& p) {
  return membership_call(*core_, p, op_kind::subscribe, error::invalid_pusher);
}

pending<change_result>
online_manager::unregister_pusher(const pusher_actor& p) {
  return membership_call(*core_, p, op_kind::unsubscribe,
                         error::invalid_pusher);
}

pending<change_result> online_manager::mark_online(online_user user) {
  if (auto err = validate_user(user, core_->lim()))
    return core_->failed<change_result>(std::move(err));
  // The registry spawns the user actor. Spawning here, on the caller's
  // thread, was measured and halved W1 (see docs/design.md).
  auto hash = detail::login_hash_of(user.login_id);
  return core_->issue_with<change_result>(true, [&](client_op& op) {
    op.kind = op_kind::mark_online;
    op.user = std::move(user);
    op.login_hash = hash;
  });
}

pending<change_result> online_manager::mark_online(online_user user,
                                                   login_policy policy) {
  if (auto err = validate_user(user, core_->lim()))
    return core_->failed<change_result>(std::move(err));
  if (auto err = validate_policy(policy))
    return core_->failed<change_result>(std::move(err));
  return core_->issue_with<change_result>(true, [&](client_op& op) {
    op.kind = op_kind::mark_online;
    op.user = std::move(user);
    op.policy = policy;
    op.has_policy = true;
  });
}

pending<change_result>
online_manager::update_metadata(std::string login_id, std::string token,
                                metadata_map metadata) {
  if (auto err = validate_session_key(login_id, token, core_->lim()))
    return core_->failed<change_result>(std::move(err));
  if (auto err = validate_metadata(metadata, core_->lim()))
    return core_->failed<change_result>(std::move(err));
  auto op = make_op(op_kind::update_metadata, std::move(login_id),
                    std::move(token));
  op.user.metadata = std::move(metadata);
  return core_->issue<change_result>(std::move(op), true);
}

pending<change_result>
online_manager::subscribe_events(const event_subscriber_actor& subscriber) {
  return membership_call(*core_, subscriber, op_kind::subscribe_events,
                         error::invalid_subscriber);
}

pending<change_result>
online_manager::unsubscribe_events(const event_subscriber_actor& subscriber) {
  return membership_call(*core_, subscriber, op_kind::unsubscribe_events,
                         error::invalid_subscriber);
}

caf::expected<presence_stats> online_manager::stats() {
  return core_->read_stats();
}

pending<change_result> online_manager::mark_offline(std::string login_id,
                                                    std::string token) {
  if (auto err = validate_session_key(login_id, token, core_->lim()))
    return core_->failed<change_result>(std::move(err));
  auto hash = detail::login_hash_of(login_id);
  return core_->issue_with<change_result>(true, [&](client_op& op) {
    op.kind = op_kind::mark_offline;
    op.user.login_id = std::move(login_id);
    op.user.token = std::move(token);
    op.login_hash = hash;
  });
}

pending<change_result> online_manager::mark_offline_all(std::string login_id) {
  if (auto err = validate_login_id(login_id, core_->lim()))
    return core_->failed<change_result>(std::move(err));
  return core_->issue<change_result>(
    make_op(op_kind::mark_offline_all, std::move(login_id)), true);
}

pending<change_result> online_manager::update_activity(std::string login_id,
                                                       std::string token) {
  if (auto err = validate_session_key(login_id, token, core_->lim()))
    return core_->failed<change_result>(std::move(err));
  auto hash = detail::login_hash_of(login_id);
  return core_->issue_with<change_result>(true, [&](client_op& op) {
    op.kind = op_kind::update_activity;
    op.user.login_id = std::move(login_id);
    op.user.token = std::move(token);
    op.login_hash = hash;
  });
}

caf::expected<bool> online_manager::is_online(const std::string& login_id) {
  if (auto err = validate_login_id(login_id, core_->lim()))
    return err;
  return core_->read([&](detail::user_table& t) {
    return t.find_online(login_id) != nullptr;
  });
}

caf::expected<size_t> online_manager::get_online_count() {
  return core_->read([](detail::user_table& t) { return t.user_count(); });
}

caf::expected<size_t> online_manager::get_session_count() {
  return core_->read([](detail::user_table& t) { return t.session_count(); });
}

caf::expected<std::vector<std::string>> online_manager::get_online_users() {
  return core_->read([](detail::user_table& t) {
    std::vector<std::string> result;
    result.reserve(t.user_count());
    for (auto& e : t.entries())
      if (!e.sessions.empty())
        result.push_back(e.login_id);
    return result;
  });
}

caf::expected<std::vector<online_user>>
online_manager::get_user_sessions(const std::string& login_id) {
  if (auto err = validate_login_id(login_id, core_->lim()))
    return err;
  return core_->read([&](detail::user_table& t) {
    auto e = t.find(login_id);
    return e != nullptr ? e->online_users() : std::vector<online_user>{};
  });
}

/// A push to one user: checks the login id, the facade and the content (in
/// that order), then builds the call in place; `fill` writes its message.
template <class Check, class Fill>
pending<delivery_report> push_to_one(detail::manager_core& core,
                                     std::string& login_id, Check check,
                                     Fill fill) {
  if (auto err = validate_login_id(login_id, core.lim()))
    return core.failed<delivery_report>(std::move(err));
  if (core.status())
    return core.failed<delivery_report>(core.status());
  if (auto err = check(core.lim()))
    return core.failed<delivery_report>(std::move(err));
  // Hashed here, outside the facade's lock and off the registry's thread.
  auto hash = detail::login_hash_of(login_id);
  return core.issue_with<delivery_report>(false, [&](client_op& op) {
    op.kind = op_kind::push_user;
    op.user.login_id = std::move(login_id);
    op.login_hash = hash;
    fill(op.message);
  });
}

pending<delivery_report> online_manager::push_to_user(std::string login_id,
                                                      std::string content) {
  // The hottest call: its Text message is built in place in the call buffer
  // rather than made and then moved (~200 instructions a call).
  return push_to_one(
    *core_, login_id,
    [&](const limits& lim) { return validate_text(content, lim); },
    [&](push_message& msg) {
      msg.type = message_type::text();
      msg.content = std::move(content);
    });
}

pending<delivery_report>
online_manager::push_message_to_user(std::string login_id,
                                     push_message message) {
  return push_to_one(
    *core_, login_id,
    [&](const limits& lim) { return validate_message(message, lim); },
    [&](push_message& msg) { msg = std::move(message); });
}

pending<delivery_report>
online_manager::push_to_users(std::vector<std::string> login_ids,
                              std::string content) {
  return push_message_to_users(std::move(login_ids),
                               make_text_message(std::move(content)));
}

pending<delivery_report>
online_manager::push_message_to_users(std::vector<std::string> login_ids,
                                      push_message message) {
  for (auto& x : login_ids)
    if (auto err = validate_login_id(x, core_->lim()))
      return core_->failed<delivery_report>(std::move(err));
  if (core_->status())
    return core_->failed<delivery_report>(core_->status());
  if (auto err = validate_message(message, core_->lim()))
    return core_->failed<delivery_report>(std::move(err));
  auto op = make_op(op_kind::push_users);
  op.login_ids = std::move(login_ids);
  op.message = std::move(message);
  return core_->issue<delivery_report>(std::move(op), false);
}

pending<delivery_report> online_manager::broadcast(std::string content) {
  return broadcast_message(make_text_message(std::move(content)));
}

pending<delivery_report>
online_manager::broadcast_message(push_message message) {
  if (core_->status())
    return core_->failed<delivery_report>(core_->status());
  if (auto err = validate_message(message, core_->lim()))
    return core_->failed<delivery_report>(std::move(err));
  auto op = make_op(op_kind::broadcast);
  op.message = std::move(message);
  return core_->issue<delivery_report>(std::move(op), false);
}

pending<delivery_report> online_manager::kick_out_notify(std::string login_id,
                                                         std::string reason) {
  if (auto err = validate_login_id(login_id, core_->lim()))
    return core_->failed<delivery_report>(std::move(err));
  if (core_->status())
    return core_->failed<delivery_report>(core_->status());
  auto message = make_kick_out_message(std::move(reason));
  if (auto err = validate_message(message, core_->lim()))
    return core_->failed<delivery_report>(std::move(err));
  auto op = make_op(op_kind::kick, std::move(login_id));
  op.message = std::move(message);
  // A kick changes presence: later queries must see the user offline.
  return core_->issue<delivery_report>(std::move(op), true);
}

pending<delivery_report>
online_manager::kick_out_session(std::string login_id, std::string token,
                                 std::string reason) {
  if (auto err = validate_session_key(login_id, token, core_->lim()))
    return core_->failed<delivery_report>(std::move(err));
  return kick(make_op(op_kind::kick_session, std::move(login_id),
                      std::move(token)),
              std::move(reason));
}

pending<delivery_report>
online_manager::kick_out_device(std::string login_id, std::string device,
                                std::string reason) {
  if (auto err = validate_login_id(login_id, core_->lim()))
    return core_->failed<delivery_report>(std::move(err));
  if (auto err = validate_device(device, core_->lim()))
    return core_->failed<delivery_report>(std::move(err));
  auto op = make_op(op_kind::kick_device, std::move(login_id));
  op.user.device = std::move(device);
  return kick(std::move(op), std::move(reason));
}

pending<delivery_report> online_manager::kick(detail::client_op op,
                                              std::string reason) {
  if (core_->status())
    return core_->failed<delivery_report>(core_->status());
  op.message = make_kick_out_message(std::move(reason));
  if (auto err = validate_message(op.message, core_->lim()))
    return core_->failed<delivery_report>(std::move(err));
  // A kick changes presence: later queries must see it.
  return core_->issue<delivery_report>(std::move(op), true);
}

void online_manager::sync() {
  if (!core_->status())
    core_->sync();
}

} // namespace presence

#pragma once

// The facade's engine behind online_manager: the call window (calls in
// flight, batches to the registry, at most `presence.window` of them), the
// write order that queries wait for, the pools of call states and batch
// vectors, and the client actor that receives the registry's answers. The
// API (online_manager.cpp) hands every call here as its call struct, which
// checks it and builds its operation (client_calls.hpp).

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <shared_mutex>
#include <type_traits>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/registry_actor.hpp"
#include "logout_list.hpp"
#include "registry/user_table.hpp"
#include "presence/config.hpp"
#include "presence/detail/client_calls.hpp"
#include "presence/detail/slab.hpp"
#include "presence/error.hpp"
#include "presence/online_manager.hpp"
#include "presence/validation.hpp"
#include "scheduler/spinning_sharing.hpp"

namespace presence::detail {

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
  /// A chunk of this facade-fed mark_offline_users list; null for calls.
  struct logout_run* run = nullptr;
  /// Null for calls that failed at once (nothing to wait for). Set when the
  /// state is created and never changed, so waiters may read it freely.
  /// States in the facade's pool keep it: the cycle (core -> pool -> state
  /// -> core) is broken when the facade stops and empties its pool.
  std::shared_ptr<manager_core> core;
};

/// A mark_offline_users list longer than a chunk, while the facade feeds
/// it to the registry (logout_list.hpp).
struct logout_run {
  explicit logout_run(std::vector<std::string>&& login_ids)
    : list(std::move(login_ids)) {
  }

  logout_list list;
  /// The caller's state; ours until the last chunk answered.
  op_state* caller = nullptr;
  size_t chunks_in_flight = 0;
  uint32_t removed = 0;
  size_t chunks_ok = 0;
  caf::error err;
};

class manager_core : public std::enable_shared_from_this<manager_core> {
public:
  manager_core(caf::actor_system& sys) : sys_(sys) {
  }

  void start();

  void stop();

  const caf::error& status() const {
    return status_;
  }

  registry_actor registry() const {
    return registry_actor{registry_};
  }

  const settings& cfg() const {
    return cfg_;
  }

  /// The bounds every call is validated against (defaults until started).
  const limits& lim() const {
    return lim_;
  }

  // -- blocking calls inside actors ---------------------------------------------

  /// Fails a blocking call made inside an actor and counts it (README,
  /// "Blocking calls inside actors").
  caf::error refuse_blocking(const char* what) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return make_error(error::blocking_call_in_actor, what);
  }

  uint64_t refused() const {
    return refused_.load(std::memory_order_relaxed);
  }

  // -- issuing calls ------------------------------------------------------------

  template <class T>
  pending<T> failed(caf::error err) {
    auto st = new op_state;
    st->err = std::move(err);
    st->done = true;
    return pending<T>{op_ref{st}};
  }

  /// Every call of the API: the checks of its call struct
  /// (client_calls.hpp) in their order, with the facade's status between
  /// target and content, then issued, built in place in the buffer.
  template <class Call>
  pending<typename Call::result_type> call(Call x) {
    if (auto err = check_call(x, lim_, status_))
      return failed<typename Call::result_type>(std::move(err));
    return issue_checked(x);
  }

  /// Issues a call whose checks passed.
  template <class Call>
  pending<typename Call::result_type> issue_checked(Call& x) {
    // The login hash: on the caller's thread and outside the lock below, so
    // that the registry's thread hashes nothing.
    x.prepare();
    auto check = lists_active_.load(std::memory_order_acquire)
                 && may_hold_listed(x);
    return issue_with<typename Call::result_type>(
      Call::is_write, [&](client_op& op) { x.fill(op); },
      [&] {
        if (check)
          logouts_before(x);
      });
  }

  /// mark_offline_users: one call up to a chunk; a longer list is fed to
  /// the registry in chunks (logout_list.hpp).
  pending<change_result> logout_users(std::vector<std::string>& login_ids);

  /// Appends a call to the buffer, built in place by `fill` (saves moving a
  /// ~400-byte client_op on the hot paths). `before` runs under the lock
  /// first: the logouts of lists in progress the call must follow.
  template <class T, class Fill, class Before>
  pending<T> issue_with(bool is_write, Fill&& fill, Before&& before) {
    if (status_)
      return failed<T>(status_);
    op_state* st;
    {
      std::unique_lock<std::mutex> guard{mtx_};
      if (auto err = wait_for_room(guard))
        return failed<T>(std::move(err));
      if (!runs_.empty())
        before();
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

  /// Waits, with `guard` holding mtx_, until the window has room for one
  /// more call. An error if the call must not be issued: the registry is
  /// down, or an actor would wait (it would hold a worker the registry may
  /// need to make that room).
  caf::error wait_for_room(std::unique_lock<std::mutex>& guard) {
    auto has_space = [&] {
      return in_flight_ < cfg_.window || static_cast<bool>(down_);
    };
    if (!has_space() && in_scheduler_job())
      return refuse_blocking("the call window (presence.window) is full");
    space_.wait(guard, has_space);
    return down_;
  }

  // -- waiting ------------------------------------------------------------------

  /// Waits until every write issued before the call has been applied.
  caf::error await_writes();

  void wait(const op_state& st);

  bool wait_for(const op_state& st, caf::timespan timeout);

  caf::error sync();

  // -- reading the view ---------------------------------------------------------


  /// Runs `f` on the published view once earlier writes are applied. A dead
  /// registry's view is frozen, not current: queries fail then, as writes do.
  template <class F>
  auto read(F f) -> caf::expected<decltype(f(std::declval<user_table&>()))> {
    return read_view([&](presence_view& v) { return f(v.table); });
  }

  /// The same with the whole view (the table and its owners' names).
  template <class F>
  auto read_view(F f)
    -> caf::expected<decltype(f(std::declval<presence_view&>()))> {
    if (status_)
      return status_;
    // Refused whether or not earlier writes are still in flight, so that the
    // misuse shows in every run, not only under load.
    if (in_scheduler_job())
      return refuse_blocking("a facade query waits for earlier writes");
    if (auto err = await_writes())
      return err;
    if (auto err = down_error())
      return err;
    std::shared_lock<std::shared_mutex> guard{view_->mtx};
    return f(*view_);
  }

  caf::expected<presence_stats> read_stats();

  /// `registry_down` once the client saw the registry terminate.
  caf::error down_error();

private:
  // Calls per batch: large enough to amortise a message, small enough that a
  // batch's memory is recycled by malloc rather than mapped and faulted in.
  static constexpr size_t max_buffer = 1024;
  static constexpr size_t initial_buffer = 64;

  // The pools below keep what a full window of calls needs: up to `window`
  // call states (~250 bytes each) and the batch vectors that hold them
  // (~400 KB each at max_buffer calls). A thread that pushes at full speed
  // otherwise allocates them afresh from its own malloc arena and faults
  // every page in (docs/performance.md has the page faults). The price is
  // memory kept after a burst, a full window's states and vectors (recycle
  // drops a state's result heap, on_results spares larger than max_buffer);
  // a smaller `presence.window` keeps less.
  size_t max_pooled_states() const {
    return cfg_.window;
  }

  size_t max_spares() const {
    return cfg_.window / max_buffer + cfg_.batches_in_flight;
  }

  // -- op_state recycling (mtx_ held) -------------------------------------------

  /// A state for a new call, with two references: the pending's and the
  /// in-flight table's.
  op_state* acquire_state();

  /// Drops the in-flight table's reference; keeps the state for reuse if it
  /// was the last (the caller dropped its pending without waiting, the
  /// common case under load).
  void recycle(op_state* st);

  // -- mark_offline_users lists (manager_logouts.cpp, mtx_ held) ---------------

  /// Chunks of lists in flight at most, over all lists. Under load each
  /// waits behind the calls already queued at the registry, so this bounds
  /// the lists' share of it (docs/performance.md, "Mass logout").
  static constexpr size_t max_logout_chunks = 4;

  /// Sends chunks of the lists in order while fewer than the cap are in
  /// flight; a list starts once those before it have sent everything.
  void feed_logouts();

  /// Sends `ids` as one chunk of `run` (not counted against the window).
  void send_logout_chunk(logout_run& run, std::vector<std::string>&& ids);

  /// A chunk of `run` answered.
  void on_logout_chunk(logout_run& run, const op_result& r);

  /// Sends the logout of `login_id` from every list that has not sent it.
  void take_logout(size_t hash, const std::string& login_id);

  /// Whether a list in progress may hold a user of the call: its filters,
  /// asked without the lock (a false answer is exact).
  template <class Call>
  bool may_hold_listed(const Call& x) const {
    if constexpr (std::is_same_v<Call, broadcast_call>)
      return true;
    auto fs = std::atomic_load_explicit(&filters_, std::memory_order_acquire);
    if (!fs)
      return false;
    auto found = false;
    for_each_user(x, [&](size_t hash, const std::string&) {
      for (auto& f : *fs)
        found = found || f->may_hold(hash);
    });
    return found;
  }

  /// Calls `f(hash, login_id)` for each user a call names (none for a
  /// broadcast or a call on no user).
  template <class Call, class F>
  static void for_each_user(const Call& x, F&& f) {
    if constexpr (std::is_base_of_v<on_user, Call>) {
      f(x.hash, x.login_id);
    } else if constexpr (std::is_same_v<Call, push_users_call>
                         || std::is_same_v<Call, logout_users_call>) {
      for (auto& id : x.login_ids)
        f(login_hash_of(id), id);
    }
  }

  /// Publishes the filters of the lists in progress (mtx_ held).
  void publish_filters();

  /// Before a call goes out: the logouts of its users that lists in
  /// progress hold, or every list's rest before a broadcast.
  template <class Call>
  void logouts_before(const Call& x) {
    if constexpr (std::is_same_v<Call, broadcast_call>) {
      for (auto& run : runs_)
        while (!run->list.all_sent())
          send_logout_chunk(*run, run->list.next_chunk());
    } else {
      for_each_user(x, [this](size_t hash, const std::string& id) {
        take_logout(hash, id);
      });
    }
  }

  // -- completion (runs in the client actor) ------------------------------------

  void on_results(client_results& rs);

  void on_registry_down(const caf::error& reason);

  /// Sends the buffer as one batch. Called with mtx_ held: two batches taken
  /// by different threads must reach the registry in the order they were
  /// taken, or calls from one thread could overtake each other. anon_send
  /// only enqueues, so holding the lock costs little.
  void send_buffer();

  /// Marks a write applied and advances the "all writes below are done" mark.
  void write_done(uint64_t seq);


  // -- the client actor ---------------------------------------------------------

  static client_actor::behavior_type
  client_behavior(client_actor::pointer self, std::weak_ptr<manager_core> weak,
                  registry_internal_actor registry);


  caf::actor_system& sys_;
  caf::error status_;
  settings cfg_;
  limits lim_;
  std::shared_ptr<presence_view> view_;
  registry_internal_actor registry_;
  client_actor client_;

  std::mutex mtx_;
  std::condition_variable space_;
  std::condition_variable done_;
  size_t waiters_ = 0;
  caf::error down_;
  /// Set with `down_`; read without the lock by queries.
  std::atomic<bool> is_down_{false};
  /// Blocking calls refused inside actors.
  std::atomic<uint64_t> refused_{0};
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
  /// Lists in progress, oldest first.
  std::deque<std::unique_ptr<logout_run>> runs_;
  /// Their filters, for callers to ask before taking the lock, and whether
  /// there are any (a call that happens after a list was made sees both).
  using filter_set = std::vector<std::shared_ptr<const logout_filter>>;
  std::shared_ptr<const filter_set> filters_;
  std::atomic<bool> lists_active_{false};
  size_t logout_chunks_ = 0;
};

} // namespace presence::detail

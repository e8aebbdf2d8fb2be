#include "manager_core.hpp"

#include <algorithm>

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace presence::detail {

op_ref::op_ref(const op_ref& other) noexcept : ptr_(other.ptr_) {
  if (ptr_ != nullptr)
    ptr_->refs.fetch_add(1, std::memory_order_relaxed);
}

void op_ref::drop(op_state* ptr) noexcept {
  if (ptr->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
    delete ptr;
}

void manager_core::start() {
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

void manager_core::stop() {
  if (!status_ && sync()) {
    // Destroyed inside an actor: waiting for the calls in flight could
    // deadlock, so they fail instead of waiting for their answers.
    on_registry_down(make_error(error::registry_down,
                                "the online_manager was destroyed inside "
                                "an actor with calls in flight"));
  }
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

caf::error manager_core::await_writes() {
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

void manager_core::wait(const op_state& st) {
  if (st.done.load(std::memory_order_acquire))
    return;
  std::unique_lock<std::mutex> guard{mtx_};
  ++waiters_;
  done_.wait(guard, [&] { return st.done.load(std::memory_order_relaxed); });
  --waiters_;
}

bool manager_core::wait_for(const op_state& st, caf::timespan timeout) {
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

caf::error manager_core::sync() {
  if (in_scheduler_job())
    return refuse_blocking("sync() waits for every call in flight");
  std::unique_lock<std::mutex> guard{mtx_};
  ++waiters_;
  done_.wait(guard, [&] { return in_flight_ == 0 || down_; });
  --waiters_;
  return {};
}

caf::expected<presence_stats> manager_core::read_stats() {
  return read([this](user_table&) { return view_->stats(); });
}

caf::error manager_core::down_error() {
  if (!is_down_.load(std::memory_order_acquire))
    return {};
  std::unique_lock<std::mutex> guard{mtx_};
  return down_;
}

op_state* manager_core::acquire_state() {
  op_state* st;
  if (pool_.empty()) {
    st = new op_state;
    st->core = shared_from_this();
  } else {
    st = pool_.back();
    pool_.pop_back();
    st->done.store(false, std::memory_order_relaxed);
    st->write_seq = 0;
    st->run = nullptr;
  }
  st->refs.store(2, std::memory_order_relaxed);
  return st;
}

void manager_core::recycle(op_state* st) {
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

void manager_core::on_results(client_results& rs) {
  {
    std::unique_lock<std::mutex> guard{mtx_};
    for (auto& r : rs.results) {
      auto st = in_flight_ops_.take(r.ticket);
      if (!st)
        continue;
      if (auto run = st->run) {
        st->run = nullptr;
        --in_flight_;
        recycle(st.release());
        on_logout_chunk(*run, r);
        continue;
      }
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

void manager_core::on_registry_down(const caf::error& reason) {
  std::unique_lock<std::mutex> guard{mtx_};
  down_ = reason ? make_error(error::registry_down, to_string(reason))
                 : make_error(error::registry_down);
  is_down_.store(true, std::memory_order_release);
  in_flight_ops_.for_each([&](op_ref& st) {
    st->err = down_;
    st->done.store(true, std::memory_order_release);
  });
  in_flight_ops_ = {};
  for (auto& run : runs_) {
    run->caller->err = down_;
    run->caller->done.store(true, std::memory_order_release);
    op_ref dropped{run->caller};
  }
  runs_.clear();
  publish_filters();
  logout_chunks_ = 0;
  in_flight_ = 0;
  buffer_.clear();
  done_.notify_all();
  space_.notify_all();
}

void manager_core::send_buffer() {
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

void manager_core::write_done(uint64_t seq) {
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

client_actor::behavior_type
manager_core::client_behavior(client_actor::pointer self, std::weak_ptr<manager_core> weak,
                registry_internal_actor registry) {
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

} // namespace presence::detail

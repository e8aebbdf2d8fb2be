// The facade's side of mark_offline_users (manager_core.hpp, logout_list.hpp).

#include "manager_core.hpp"

namespace presence::detail {

pending<change_result>
manager_core::logout_users(std::vector<std::string>& login_ids) {
  logout_users_call x{login_ids};
  if (auto err = check_call(x, lim_, status_))
    return failed<change_result>(std::move(err));
  if (login_ids.size() <= logout_list::chunk_size)
    return issue_checked(x);
  // The index is built here, on the caller's thread, not under the lock.
  auto run = std::make_unique<logout_run>(std::move(login_ids));
  std::unique_lock<std::mutex> guard{mtx_};
  if (auto err = wait_for_room(guard))
    return failed<change_result>(std::move(err));
  // Lists are fed in order (feed_logouts): a user that an earlier list
  // holds too leaves through that one first.
  auto st = acquire_state();
  st->write_seq = next_write_;
  next_write_.store(next_write_ + 1, std::memory_order_release);
  ++in_flight_;
  run->caller = st;
  runs_.push_back(std::move(run));
  publish_filters();
  feed_logouts();
  if (!buffer_.empty() && batches_in_flight_ < cfg_.batches_in_flight)
    send_buffer();
  return pending<change_result>{op_ref{st}};
}

void manager_core::publish_filters() {
  std::shared_ptr<const filter_set> fs;
  if (!runs_.empty()) {
    auto xs = std::make_shared<filter_set>();
    for (auto& run : runs_)
      xs->push_back(run->list.filter());
    fs = std::move(xs);
  }
  std::atomic_store_explicit(&filters_, std::move(fs),
                             std::memory_order_release);
  lists_active_.store(!runs_.empty(), std::memory_order_release);
}

void manager_core::feed_logouts() {
  for (auto& run : runs_) {
    while (logout_chunks_ < max_logout_chunks && !run->list.all_sent())
      send_logout_chunk(*run, run->list.next_chunk());
    if (!run->list.all_sent())
      return; // the lists after it wait until it has sent everything
  }
}

void manager_core::send_logout_chunk(logout_run& run,
                                     std::vector<std::string>&& ids) {
  auto st = acquire_state();
  // Nobody holds a pending for a chunk: the in-flight table's reference is
  // the only one.
  st->refs.store(1, std::memory_order_relaxed);
  st->run = &run;
  auto& op = buffer_.emplace_back();
  op.kind = op_kind::mark_offline_users;
  op.login_ids = std::move(ids);
  op.ticket = in_flight_ops_.insert(op_ref{st});
  ++in_flight_;
  ++run.chunks_in_flight;
  ++logout_chunks_;
  if (batches_in_flight_ < cfg_.batches_in_flight
      || buffer_.size() >= max_buffer)
    send_buffer();
}

void manager_core::take_logout(size_t hash, const std::string& login_id) {
  for (auto& run : runs_)
    if (run->list.take(hash, login_id))
      send_logout_chunk(*run, std::vector<std::string>{login_id});
}

void manager_core::on_logout_chunk(logout_run& run, const op_result& r) {
  --run.chunks_in_flight;
  --logout_chunks_;
  if (r.err) {
    if (!run.err)
      run.err = r.err;
  } else {
    ++run.chunks_ok;
    run.removed += r.change.removed;
  }
  feed_logouts();
  // Lists finish in order: a later one may be done first only if every
  // list before it is too (a write's answer never overtakes an earlier
  // one's effect: the write order below still holds).
  auto finished = false;
  while (!runs_.empty()) {
    auto& front = *runs_.front();
    if (!front.list.all_sent() || front.chunks_in_flight > 0)
      break;
    finished = true;
    auto st = front.caller;
    if (front.chunks_ok == 0 && front.err) {
      st->err = std::move(front.err);
    } else {
      st->change = change_result{front.removed > 0
                                   ? change_status::user_offline
                                   : change_status::unknown_user,
                                 0, front.removed};
    }
    write_done(st->write_seq);
    st->done.store(true, std::memory_order_release);
    --in_flight_;
    runs_.pop_front();
    recycle(st);
  }
  if (finished)
    publish_filters();
}

} // namespace presence::detail

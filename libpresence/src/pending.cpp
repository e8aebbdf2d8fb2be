// pending<T>: waiting on a call's outcome, refused inside actors where
// presence can tell (README, "Blocking calls inside actors").

#include "presence/pending.hpp"

#include "manager_core.hpp"

namespace presence {

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

// A call that failed at once has no core: its outcome was known when it
// returned, so reading it never waits, inside an actor or not. Every other
// pending is refused inside an actor whether or not it is ready yet, so that
// the misuse shows in every run, not only when the registry is slow.

template <class T>
caf::error pending<T>::wait() const {
  if (!state_ || !state_->core)
    return {};
  if (detail::in_scheduler_job())
    return state_->core->refuse_blocking("wait() on a pending");
  if (!state_->done.load(std::memory_order_acquire))
    state_->core->wait(*state_);
  return {};
}

template <class T>
bool pending<T>::wait_for(caf::timespan timeout) const {
  if (!state_ || state_->done.load(std::memory_order_acquire))
    return true;
  if (detail::in_scheduler_job())
    return false;
  if (auto core = state_->core)
    return core->wait_for(*state_, timeout);
  return state_->done.load(std::memory_order_acquire);
}

template <class T>
caf::expected<T> pending<T>::get() const {
  if (!state_)
    return make_error(error::invalid_option, "empty pending result");
  if (auto core = state_->core) {
    if (detail::in_scheduler_job())
      return core->refuse_blocking("get() on a pending");
    if (!state_->done.load(std::memory_order_acquire))
      core->wait(*state_);
  }
  if (state_->err)
    return state_->err;
  return value_of(*state_, static_cast<T*>(nullptr));
}

template class pending<change_result>;
template class pending<delivery_report>;

} // namespace presence

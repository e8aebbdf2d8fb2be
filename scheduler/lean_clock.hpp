#pragma once

// The actor clock of presence's schedulers: CAF's thread-safe clock without
// the cancellation it queues for every terminating actor.
//
// Why (docs/design.md, "Retiring user actors"): CAF 0.17 cancels an actor's
// timeouts whenever it terminates (`local_actor::cleanup`), timeouts or not,
// and its clock turns each cancellation into an allocated event pushed
// through a 64-slot ring buffer (a mutex and a condition variable) to the
// clock's thread, which it wakes. User actors never set a timeout, so for
// them it is pure cost: it was most of a retired user actor's teardown.

#include <mutex>
#include <thread>
#include <unordered_set>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/detail/set_thread_name.hpp>
#include <caf/detail/thread_safe_actor_clock.hpp>
#include <caf/scheduler/coordinator.hpp>

namespace presence::detail {

/// Remembers which actors ever set a timeout (ordinary, request or multi:
/// the kinds `cancel_timeouts` removes) and queues a cancellation only for
/// those. Delayed messages are not tied to their sender and not cancelled
/// by CAF either. Thread-safe like its base.
class lean_clock : public caf::detail::thread_safe_actor_clock {
public:
  using super = caf::detail::thread_safe_actor_clock;

  void set_ordinary_timeout(time_point t, caf::abstract_actor* self,
                            caf::atom_value type, uint64_t id) override;

  void set_request_timeout(time_point t, caf::abstract_actor* self,
                           caf::message_id id) override;

  void set_multi_timeout(time_point t, caf::abstract_actor* self,
                         caf::atom_value type, uint64_t id) override;

  void cancel_timeouts(caf::abstract_actor* self) override;

  /// Actors that set a timeout and have not terminated yet (for tests).
  size_t timed_actors();

private:
  void note(caf::abstract_actor* self);

  std::mutex mtx_;
  /// Actor ids are never reused within a system, so a stale id is harmless.
  std::unordered_set<caf::actor_id> timed_;
};

/// A CAF coordinator whose actors use a lean_clock. The base's own clock
/// thread still runs (it cannot be replaced) but nothing is ever queued on
/// it, so it sleeps until the scheduler stops.
template <class Policy>
class lean_coordinator : public caf::scheduler::coordinator<Policy> {
public:
  using super = caf::scheduler::coordinator<Policy>;

  using super::super;

  caf::detail::thread_safe_actor_clock& clock() noexcept override {
    return clock_;
  }

protected:
  void start() override {
    // Running before the base starts anything that could set a timeout.
    timer_ = std::thread{[this] {
      CAF_SET_LOGGER_SYS(&this->system());
      caf::detail::set_thread_name("caf.clock");
      this->system().thread_started();
      clock_.run_dispatch_loop();
      this->system().thread_terminates();
    }};
    super::start();
  }

  void stop() override {
    // The base stops the workers and destroys what they still hold, which
    // may cancel timeouts here: this clock stops last.
    super::stop();
    clock_.cancel_dispatch_loop();
    timer_.join();
  }

private:
  lean_clock clock_;
  std::thread timer_;
};

} // namespace presence::detail

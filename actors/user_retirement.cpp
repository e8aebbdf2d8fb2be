#include "actors/user_retirement.hpp"

#include <algorithm>
#include <mutex>

#ifdef __linux__
#  include <sys/resource.h>
#  include <sys/syscall.h>
#  include <unistd.h>
#endif

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/local_actor.hpp>
#include <caf/send.hpp>
#include <caf/settings.hpp>

#include "presence/atoms.hpp"

namespace presence::detail {

/// Shared by the registry (producer) and the retirement thread (consumer).
struct retirement_queue {
  std::mutex mtx;
  std::vector<user_actor> handles;
  /// A reap_atom is on its way to the worker or being handled: the registry
  /// sends no other until the worker found the queue empty.
  bool signalled = false;
};

namespace {

/// Gives the calling thread the nice value `nice_value` unless it has a
/// higher one (Linux: a thread's own; lowering a priority needs no
/// privilege). Retirement is housekeeping: at the default priority it took
/// its CPU from the pushes while a mass logout was still being issued
/// (docs/performance.md, "Mass logout").
void lower_priority(int64_t nice_value) {
#ifdef __linux__
  auto tid = static_cast<id_t>(syscall(SYS_gettid));
  auto target = static_cast<int>(std::clamp<int64_t>(nice_value, 0, 19));
  // Never raises the priority (a process started with a higher nice keeps it).
  if (target > getpriority(PRIO_PROCESS, tid))
    setpriority(PRIO_PROCESS, tid, target);
#else
  static_cast<void>(nice_value);
#endif
}

/// Drops what the queue holds until it is empty. Each handle is the last
/// reference to its actor, so dropping it runs the actor's cleanup and frees
/// it right here (CAF's `local_actor::on_destroy`).
caf::behavior retirement_worker(caf::event_based_actor* self,
                                std::shared_ptr<retirement_queue> q) {
  auto nice_value = caf::get_or(self->system().config(),
                                "presence.retirement-nice", int64_t{10});
  return {
    [q, nice_value, lowered = false](reap_atom) mutable {
      // On the actor's own (detached) thread, so only here.
      if (!lowered) {
        lowered = true;
        lower_priority(nice_value);
      }
      std::vector<user_actor> batch;
      for (;;) {
        {
          std::lock_guard<std::mutex> guard{q->mtx};
          if (q->handles.empty()) {
            q->signalled = false;
            return;
          }
          batch.swap(q->handles);
        }
        batch.clear();
      }
    },
  };
}

} // namespace

user_retirement::user_retirement()
  : queue_(std::make_shared<retirement_queue>()) {
  // nop
}

user_retirement::~user_retirement() {
  // Handles still queued (the system is going down) are dropped with the
  // last owner of the queue, wherever that is.
}

void user_retirement::hand_over(caf::local_actor* self,
                                std::vector<user_actor>& handles) {
  if (handles.empty())
    return;
  if (!worker_) {
    // Detached: a thread of its own under every scheduler policy, so the
    // teardown neither fans out through the scheduler nor holds a worker.
    // Hidden: not a running actor the application could wait for.
    worker_ = self->system().spawn<caf::detached + caf::hidden>(
      retirement_worker, queue_);
    self->attach_functor([w = worker_](const caf::error&) {
      caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    });
  }
  bool signal;
  {
    std::lock_guard<std::mutex> guard{queue_->mtx};
    if (queue_->handles.empty())
      queue_->handles.swap(handles);
    else
      for (auto& h : handles)
        queue_->handles.push_back(std::move(h));
    signal = !queue_->signalled;
    queue_->signalled = true;
  }
  handles.clear();
  if (signal)
    caf::anon_send(worker_, reap_atom::value);
}

} // namespace presence::detail

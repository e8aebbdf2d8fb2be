#include "actors/user_retirement.hpp"

#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/local_actor.hpp>
#include <caf/send.hpp>

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

/// Drops what the queue holds until it is empty. Each handle is the last
/// reference to its actor, so dropping it runs the actor's cleanup and frees
/// it right here (CAF's `local_actor::on_destroy`).
caf::behavior retirement_worker(caf::event_based_actor*,
                                std::shared_ptr<retirement_queue> q) {
  return {
    [q](reap_atom) {
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

#pragma once

// presence's default CAF scheduler policy: CAF's work sharing (one central
// job queue) plus brief polling by one idle worker before it sleeps.
//
// Why (docs/design.md, "Scheduler"): with CAF's work sharing every hand-off
// to an idle worker is a futex wake-up, slow on a virtual machine, and a
// push crosses two hand-offs (caller -> registry -> pusher). Work stealing
// polls, but collapses when one actor fans out to a million actors. Here one
// idle worker at a time polls the queue for `spin` before it sleeps, so under
// steady load a job is picked up in about a microsecond, and at rest no
// thread burns CPU for longer than `spin` after the last job. A job that a
// running job hands on when it is about to end does not wake anyone: the
// running worker takes it next (see internal_enqueue and the watchman).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/policy/unprofiled.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <caf/timespan.hpp>

namespace presence::detail {

/// How long an idle worker polls before sleeping, unless configured
/// (`presence.scheduler-spin`).
constexpr auto default_scheduler_spin = std::chrono::microseconds(100);

/// Reads `presence.scheduler-spin` from the system's config.
caf::timespan scheduler_spin_of(caf::scheduler::abstract_coordinator* self);

class spinning_sharing : public caf::policy::unprofiled {
public:
  using queue_type = std::list<caf::resumable*>;

  struct coordinator_data {
    explicit coordinator_data(caf::scheduler::abstract_coordinator* self)
      : spin(scheduler_spin_of(self)) {
    }

    std::mutex lock;
    std::condition_variable cv;
    queue_type queue;
    /// Jobs in `queue`; written under `lock`, polled without it.
    std::atomic<size_t> size{0};
    /// Idle workers polling (at most one; briefly two while a second one
    /// backs off).
    std::atomic<int> spinners{0};
    /// Workers waiting on `cv` (under `lock`).
    int sleepers = 0;
    /// A sleeper waits with a timeout (`watch_period`) and takes whatever is
    /// queued when it times out; while it does, enqueue may skip wake-ups
    /// (see internal_enqueue). Under `lock`.
    bool watching = false;
    /// A wake-up could have been skipped but nobody watched: the next worker
    /// to sleep becomes the watchman. Under `lock`.
    bool watch_wanted = false;
    /// Wake-ups skipped so far (under `lock`); the watchman stops watching
    /// after a period without any.
    uint64_t deferred = 0;
    const caf::timespan spin;
  };

  struct worker_data {
    explicit worker_data(caf::scheduler::abstract_coordinator*) {
    }

    /// The job this worker runs, and since when (see internal_enqueue).
    caf::resumable* current = nullptr;
    std::chrono::steady_clock::time_point started;
  };

  template <class Coordinator>
  void enqueue(Coordinator* self, caf::resumable* job, bool may_defer = false) {
    auto& cd = d(self);
    queue_type node; // allocated outside the lock
    node.push_back(job);
    bool wake;
    {
      std::unique_lock<std::mutex> guard{cd.lock};
      cd.queue.splice(cd.queue.end(), node);
      // Sequentially consistent, with the poller's decrement of `spinners`
      // and its later read of `size` (wake_if_more): with acquire/release
      // both sides could read the other's old value (a store-buffer race),
      // and a job would wait for a busy poller while workers sleep.
      cd.size.store(cd.queue.size());
      // A polling worker takes the job; otherwise wake a sleeper. A worker
      // that stops polling takes the lock and checks the queue before it
      // sleeps, so no job is left unseen.
      wake = cd.sleepers > 0 && cd.spinners.load() == 0;
      if (wake && may_defer) {
        if (cd.watching) {
          wake = false;
          ++cd.deferred;
        } else {
          cd.watch_wanted = true;
        }
      }
    }
    if (wake)
      cd.cv.notify_one();
  }

  template <class Coordinator>
  void central_enqueue(Coordinator* self, caf::resumable* job) {
    enqueue(self, job);
  }

  template <class Worker>
  void external_enqueue(Worker* self, caf::resumable* job) {
    enqueue(self->parent(), job);
  }

  /// A job made runnable by the job a worker is running (an actor sending to
  /// an idle actor). If that job is about to end (its actor has nothing else
  /// queued and it started moments ago), this worker takes the new job next
  /// anyway, or the polling worker does: waking a sleeper would only cost a
  /// futex call and, on a machine whose other cores are busy, put the woken
  /// thread on this core to wait for this job, find nothing and poll there.
  /// A push under light load is a chain of such hand-offs (registry, pusher,
  /// registry, client), which then runs on one worker without a wake-up.
  ///
  /// "About to end" is a guess: a handler may send and then block or run
  /// long. So a wake-up is skipped only while a watchman sleeps with a
  /// timeout: any job still queued when it wakes is taken then, at most
  /// `watch_period` late (docs/design.md, "Scheduler").
  ///
  /// CAF also calls this from other threads (a response promise delivered
  /// elsewhere enqueues the requester with its owner's last worker), so the
  /// guess is only made on the worker's own thread, from its own data.
  template <class Worker>
  void internal_enqueue(Worker* self, caf::resumable* job) {
    auto& wd = self->data();
    enqueue(self->parent(), job, running_here() == &wd && ends_soon(wd));
  }

  template <class Worker>
  void before_resume(Worker* self, caf::resumable* job) {
    auto& wd = self->data();
    wd.current = job;
    wd.started = std::chrono::steady_clock::now();
    running_here() = &wd;
  }

  template <class Worker>
  void after_resume(Worker* self, caf::resumable*) {
    self->data().current = nullptr;
    running_here() = nullptr;
  }

  template <class Worker>
  void resume_job_later(Worker* self, caf::resumable* job) {
    enqueue(self->parent(), job);
  }

  template <class Worker>
  caf::resumable* dequeue(Worker* self) {
    auto& cd = d(self->parent());
    if (auto job = try_pop(cd))
      return job;
    // Poll if no other worker does.
    caf::resumable* job = nullptr;
    {
      spinner_guard guard{cd};
      if (guard.first)
        job = poll(cd);
    }
    if (job != nullptr) {
      wake_if_more(cd);
      return job;
    }
    std::unique_lock<std::mutex> guard{cd.lock};
    ++cd.sleepers;
    if (!(cd.watch_wanted && !cd.watching && watch(cd, guard)))
      cd.cv.wait(guard, [&] { return !cd.queue.empty(); });
    --cd.sleepers;
    job = pop(cd);
    // Several jobs arrived while one worker polled: pass the wake-up on.
    if (!cd.queue.empty() && cd.sleepers > 0 && cd.spinners.load() == 0)
      cd.cv.notify_one();
    return job;
  }

  template <class Worker, class UnaryFunction>
  void foreach_resumable(Worker*, UnaryFunction) {
    // nop: workers have no queues of their own
  }

  template <class Coordinator, class UnaryFunction>
  void foreach_central_resumable(Coordinator* self, UnaryFunction f) {
    auto& cd = d(self);
    std::unique_lock<std::mutex> guard{cd.lock};
    while (!cd.queue.empty())
      f(pop(cd));
  }

private:
  /// Counts a worker in `spinners` for its scope (also if polling throws:
  /// a count left behind would stop enqueue from ever waking anyone).
  struct spinner_guard {
    coordinator_data& cd;
    bool first;

    explicit spinner_guard(coordinator_data& x)
      : cd(x), first(x.spinners.fetch_add(1) == 0) {
    }

    ~spinner_guard() {
      cd.spinners.fetch_sub(1); // seq_cst: see enqueue
    }
  };

  /// The watchman's period: the most a skipped wake-up can delay a job.
  static constexpr auto watch_period = std::chrono::milliseconds(1);

  /// Sleeps as the watchman, with a timeout, while wake-ups are being
  /// skipped. Returns true when a job is queued, false after a whole period
  /// without a skipped wake-up: then the caller sleeps without a timeout
  /// (so that an idle system has no timer running) and enqueue wakes
  /// sleepers again. Returns with `lock` held.
  static bool watch(coordinator_data& cd,
                    std::unique_lock<std::mutex>& guard) {
    cd.watching = true;
    cd.watch_wanted = false;
    bool got_job;
    for (;;) {
      auto seen = cd.deferred;
      got_job = cd.cv.wait_for(guard, watch_period,
                               [&] { return !cd.queue.empty(); });
      if (got_job || cd.deferred == seen)
        break;
    }
    cd.watching = false;
    return got_job;
  }

  /// How long a job may have run and still count as about to end.
  static constexpr auto short_job = std::chrono::microseconds(20);

public:
  /// True while this thread runs a job for a spinning worker (in any system).
  static bool runs_job_here() noexcept {
    return running_here() != nullptr;
  }

private:
  /// The worker data of the job this thread runs, if it is a worker.
  static worker_data*& running_here() noexcept {
    static thread_local worker_data* current = nullptr;
    return current;
  }

  /// Precondition: called on the thread running `wd.current`. A closed
  /// mailbox means the actor is terminating (it sends its down and exit
  /// messages from there): not a guess worth making.
  static bool ends_soon(const worker_data& wd) {
    if (wd.current == nullptr
        || wd.current->subtype() != caf::resumable::scheduled_actor)
      return false;
    auto& mailbox = static_cast<caf::scheduled_actor*>(wd.current)->mailbox();
    return !mailbox.closed() && mailbox.empty()
           && std::chrono::steady_clock::now() - wd.started < short_job;
  }

  /// Precondition: `lock` held, queue not empty.
  static caf::resumable* pop(coordinator_data& cd) {
    auto job = cd.queue.front();
    cd.queue.pop_front();
    cd.size.store(cd.queue.size());
    return job;
  }

  static caf::resumable* try_pop(coordinator_data& cd) {
    if (cd.size.load(std::memory_order_acquire) == 0)
      return nullptr;
    std::unique_lock<std::mutex> guard{cd.lock};
    return cd.queue.empty() ? nullptr : pop(cd);
  }

  /// Polls the queue for up to `spin`. Yields now and then, so that a worker
  /// sharing its core with runnable threads does not starve them.
  static caf::resumable* poll(coordinator_data& cd) {
    if (cd.spin.count() <= 0)
      return nullptr;
    auto deadline = std::chrono::steady_clock::now() + cd.spin;
    for (unsigned i = 1;; ++i) {
      if (auto job = try_pop(cd))
        return job;
      if (i % 64 == 0) {
        if (std::chrono::steady_clock::now() >= deadline)
          return nullptr;
        std::this_thread::yield();
      } else {
        relax();
      }
    }
  }

  /// The poller took a job while more wait (enqueue did not wake anyone
  /// because it was polling): hand them to a sleeper.
  static void wake_if_more(coordinator_data& cd) {
    if (cd.size.load() == 0) // seq_cst: see enqueue
      return;
    bool wake;
    {
      std::unique_lock<std::mutex> guard{cd.lock};
      wake = cd.sleepers > 0 && !cd.queue.empty();
    }
    if (wake)
      cd.cv.notify_one();
  }

  static void relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
};

/// True if the calling thread is a CAF scheduler worker running an actor's
/// handler, where a blocking wait could deadlock the actors it waits for
/// (docs/design.md, "Blocking calls inside actors"). Exact under `spinning`
/// (presence's own marker); under CAF's `sharing` and `stealing` it relies on
/// what CAF 0.17 sets on its workers: the thread name and the logger's
/// thread-local actor id. Always false under `testing`, whose actors run on
/// the thread that drives the test coordinator.
bool in_scheduler_job() noexcept;

/// Creates the scheduler `scheduler.policy` names: `spinning` (presence's
/// default, set by presence::configure), or CAF's `sharing`, `stealing` or
/// `testing`.
caf::actor_system::module* make_scheduler(caf::actor_system& sys);

} // namespace presence::detail

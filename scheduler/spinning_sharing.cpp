#include "scheduler/spinning_sharing.hpp"

#include "scheduler/lean_clock.hpp"

#include <algorithm>
#include <cstring>
#include <iostream>

#include <pthread.h>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/logger.hpp>
#include <caf/policy/work_sharing.hpp>
#include <caf/policy/work_stealing.hpp>
#include <caf/scheduler/coordinator.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/settings.hpp>

namespace presence::detail {

caf::timespan scheduler_spin_of(caf::scheduler::abstract_coordinator* self) {
  auto spin = caf::get_or(self->system().config(), "presence.scheduler-spin",
                          caf::timespan{default_scheduler_spin});
  // Polling for long is never useful; a negative value means "never poll".
  return std::clamp(spin, caf::timespan{0},
                    caf::timespan{std::chrono::milliseconds(10)});
}

namespace {

/// Whether this thread carries the name CAF 0.17 gives its scheduler workers
/// (and its I/O multiplexer): "caf.multiplexer"; later versions say
/// "caf.worker". Asked once per thread: CAF names a worker before it runs any
/// job. A thread started from a handler inherits the name, hence the actor id
/// check in in_scheduler_job.
bool has_worker_name() noexcept {
  static thread_local int named = -1;
  if (named < 0) {
    char name[16] = {};
    named = pthread_getname_np(pthread_self(), name, sizeof(name)) == 0
            && (std::strcmp(name, "caf.multiplexer") == 0
                || std::strcmp(name, "caf.worker") == 0);
  }
  return named == 1;
}

} // namespace

bool in_scheduler_job() noexcept {
  if (spinning_sharing::runs_job_here())
    return true;
  if (!has_worker_name())
    return false;
  // A CAF worker sets the logger's thread-local actor id for each job it runs
  // and resets it to 0 after (even with logging compiled out). A scoped_actor
  // or a detached actor sets it too, but on threads without the name. CAF
  // 0.17 has no caf::detail::current_actor() (later versions do).
  auto lg = caf::logger::current_logger();
  return lg != nullptr && lg->thread_local_aid() != 0;
}

caf::actor_system::module* make_scheduler(caf::actor_system& sys) {
  using namespace caf::scheduler;
  auto name = caf::get_or(sys.config(), "scheduler.policy",
                          caf::atom("spinning"));
  // Every policy but the test coordinator (its clock is the test's) gets the
  // lean clock: retiring user actors must not cost a clock event each.
  if (name == caf::atom("sharing"))
    return new lean_coordinator<caf::policy::work_sharing>(sys);
  if (name == caf::atom("stealing"))
    return new lean_coordinator<caf::policy::work_stealing>(sys);
  if (name == caf::atom("testing"))
    return new test_coordinator(sys);
  if (name != caf::atom("spinning"))
    std::cerr << "[WARNING] " << to_string(name)
              << " is an unrecognized scheduler policy, using 'spinning' "
                 "(presence's work sharing with polling)"
              << std::endl;
  return new lean_coordinator<spinning_sharing>(sys);
}

} // namespace presence::detail

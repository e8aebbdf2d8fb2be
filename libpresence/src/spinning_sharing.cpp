#include "spinning_sharing.hpp"

#include <algorithm>
#include <iostream>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
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

caf::actor_system::module* make_scheduler(caf::actor_system& sys) {
  using namespace caf::scheduler;
  auto name = caf::get_or(sys.config(), "scheduler.policy",
                          caf::atom("spinning"));
  if (name == caf::atom("sharing"))
    return new coordinator<caf::policy::work_sharing>(sys);
  if (name == caf::atom("stealing"))
    return new coordinator<caf::policy::work_stealing>(sys);
  if (name == caf::atom("testing"))
    return new test_coordinator(sys);
  if (name != caf::atom("spinning"))
    std::cerr << "[WARNING] " << to_string(name)
              << " is an unrecognized scheduler policy, using 'spinning' "
                 "(presence's work sharing with polling)"
              << std::endl;
  return new coordinator<spinning_sharing>(sys);
}

} // namespace presence::detail

#pragma once

// Spawning a registry for actor code that does not use the facade.

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "presence/actor_interfaces.hpp"

namespace presence {

/// Spawns a registry. Fails with `system_not_configured` if `sys` was not
/// prepared with `presence::configure`. The registry stops its user actors
/// when it exits; send it an exit message before the actor system goes down.
caf::expected<registry_actor> spawn_registry(caf::actor_system& sys);

} // namespace presence

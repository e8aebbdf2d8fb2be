#pragma once

// The registry actor: the routing table of a node (who is online, which actor
// owns each user), presence queries and the push pipeline to the pushers.

#include <memory>

#include <caf/fwd.hpp>

#include "registry/user_table.hpp"
#include "presence/detail/internal_interfaces.hpp"
#include "presence/config.hpp"

namespace presence::detail {

/// Spawns a registry that publishes its table through `view`.
registry_internal_actor
spawn_registry_actor(caf::actor_system& sys, const settings& cfg,
                     std::shared_ptr<presence_view> view);

} // namespace presence::detail

// spawn_registry, for actor code that does not use the facade.

#include "presence/registry.hpp"

#include "actors/registry_actor.hpp"

namespace presence {

caf::expected<registry_actor> spawn_registry(caf::actor_system& sys) {
  auto cfg = read_settings(sys);
  if (!cfg)
    return cfg.error();
  // The caller gets the public handle: the internal messages stay hidden
  // at compile time.
  return registry_actor{detail::spawn_registry_actor(
    sys, *cfg, std::make_shared<detail::presence_view>())};
}

} // namespace presence

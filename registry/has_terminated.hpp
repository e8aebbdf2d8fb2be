#pragma once

// Whether an actor is gone: a message to it would be dropped. The registry
// checks this for a pusher or subscriber before it subscribes it, and for a
// user actor before it asks for an idle check (design.md, "Validation").

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>

namespace presence::detail {

/// Precondition: `h` is not null.
template <class Handle>
bool has_terminated(const Handle& h) {
  auto ptr = caf::actor_cast<caf::abstract_actor*>(h);
  return ptr->getf(caf::abstract_actor::is_terminated_flag)
         || ptr->getf(caf::abstract_actor::is_cleaned_up_flag);
}

} // namespace presence::detail

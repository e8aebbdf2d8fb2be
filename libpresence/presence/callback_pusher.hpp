#pragma once

// A pusher that hands each delivery to a std::function. The function runs in
// the pusher actor, one delivery at a time. If it throws, the batch fails and
// the exception's text becomes the pusher's error in the delivery report.

#include <functional>
#include <string>

#include <caf/fwd.hpp>

#include "presence/actor_interfaces.hpp"
#include "presence/delivery_batch.hpp"
#include "presence/push_message.hpp"

namespace presence {

/// One user's part of a batch, as a callback sees it.
struct delivery_view {
  const std::string& login_id;
  session_range sessions;
  const push_message& message;
};

using delivery_callback = std::function<void(const delivery_view&)>;

/// Spawns a pusher that calls `callback` for every delivery it receives.
pusher_actor spawn_callback_pusher(caf::actor_system& sys,
                                   delivery_callback callback);

} // namespace presence

// A pusher that hands each delivery to a std::function.

#include <exception>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "presence/callback_pusher.hpp"
#include "presence/error.hpp"

namespace presence {

namespace {

pusher_actor::behavior_type
callback_behavior(pusher_actor::pointer, delivery_callback callback) {
  return {
    [callback](deliver_atom, const delivery_batch& batch) -> caf::result<void> {
      // An exception must not kill the pusher: it fails this batch only.
      try {
        for (auto& d : batch.deliveries)
          callback(delivery_view{d.login_id, batch.sessions_of(d),
                                 batch.message_of(d)});
      } catch (const std::exception& ex) {
        return caf::make_error(caf::sec::runtime_error,
                               std::string{"pusher callback threw: "}
                                 + ex.what());
      } catch (...) {
        return caf::make_error(caf::sec::runtime_error,
                               "pusher callback threw");
      }
      return caf::unit;
    },
  };
}

} // namespace

pusher_actor spawn_callback_pusher(caf::actor_system& sys,
                                   delivery_callback callback) {
  return sys.spawn(callback_behavior, std::move(callback));
}

} // namespace presence

#include "presence/error.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace presence {

std::string to_string(error x) {
  switch (x) {
    case error::none:
      return "none";
    case error::empty_login_id:
      return "empty_login_id: the login id must not be empty";
    case error::empty_token:
      return "empty_token: the session token must not be empty";
    case error::content_too_large:
      return "content_too_large: the message content exceeds "
             "presence.max-content-size";
    case error::invalid_utf8:
      return "invalid_utf8: a Text message's content must be valid UTF-8";
    case error::empty_custom_type:
      return "empty_custom_type: a Custom message type needs a name";
    case error::system_not_configured:
      return "system_not_configured: the actor system's config was not "
             "prepared with presence::configure";
    case error::registry_down:
      return "registry_down: the presence registry has terminated";
    case error::invalid_pusher:
      return "invalid_pusher: the pusher handle is invalid";
    case error::invalid_option:
      return "invalid_option: a presence.* option is out of range";
    case error::invalid_policy:
      return "invalid_policy: a login policy has a negative or absurd limit "
             "or an unknown action";
    case error::too_many_sessions:
      return "too_many_sessions: the user has the most sessions the login "
             "policy allows";
    case error::device_taken:
      return "device_taken: the login policy allows one session per device "
             "type and this one has it";
    case error::empty_device:
      return "empty_device: the device type must not be empty";
    case error::invalid_subscriber:
      return "invalid_subscriber: the event subscriber handle is invalid";
    case error::blocking_call_in_actor:
      return "blocking_call_in_actor: a blocking presence call was made on "
             "a scheduler thread, where it could deadlock";
    case error::field_too_long:
      return "field_too_long: an id, token, device type, type name or "
             "metadata key exceeds its length limit";
    case error::metadata_too_large:
      return "metadata_too_large: the metadata exceeds its entry or byte "
             "limit";
    case error::malformed_message:
      return "malformed_message: the registry rejected a malformed message";
    case error::cluster_already_attached:
      return "cluster_already_attached: the registry already has a cluster "
             "actor; it takes one, once";
  }
  return "unknown presence error";
}

std::string render(const caf::error& err) {
  if (!err || err.category() != error_category)
    return caf::actor_system_config::render(err);
  auto str = "presence::" + to_string(static_cast<error>(err.code()));
  auto& ctx = err.context();
  // The context of system_not_configured repeats the description (so that
  // caf::to_string shows it too): not worth printing twice.
  if (ctx.match_elements<std::string>()) {
    auto& what = ctx.get_as<std::string>(0);
    if (what != to_string(static_cast<error>(err.code())))
      str += " (" + what + ")";
  } else if (!ctx.empty()) {
    str += " " + caf::to_string(ctx);
  }
  return str;
}

caf::error make_error(error x) {
  return caf::error{static_cast<uint8_t>(x), error_category};
}

caf::error make_error(error x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), error_category,
                    caf::make_message(std::move(context))};
}

bool is(const caf::error& err, error x) {
  return err && err.category() == error_category
         && err.code() == static_cast<uint8_t>(x);
}

} // namespace presence

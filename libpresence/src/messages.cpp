// Constructors, comparisons and printing for the public data model.

#include <caf/timestamp.hpp>

#include "presence/message_type.hpp"
#include "presence/online_user.hpp"
#include "presence/push_message.hpp"
#include "presence/results.hpp"

namespace presence {

online_user make_online_user(std::string login_id, std::string token,
                             std::string device, metadata_map metadata) {
  auto now = caf::make_timestamp();
  return online_user{std::move(login_id), std::move(token), std::move(device),
                     now,                 now,              std::move(metadata),
                     {}};
}

bool operator==(const online_user& x, const online_user& y) {
  return x.login_id == y.login_id && x.token == y.token
         && x.device == y.device && x.connect_time == y.connect_time
         && x.last_activity == y.last_activity && x.metadata == y.metadata
         && x.node == y.node;
}

std::string to_string(const message_type& x) {
  switch (x.get_kind()) {
    case message_type::kind::text:
      return "Text";
    case message_type::kind::binary:
      return "Binary";
    case message_type::kind::kick_out:
      return "KickOut";
    case message_type::kind::notification:
      return "Notification";
    case message_type::kind::custom:
      return "Custom(" + x.custom_name() + ")";
  }
  return "Unknown";
}

namespace {

push_message make_message_of(message_type type, std::string content) {
  push_message result;
  result.type = std::move(type);
  result.content = std::move(content);
  return result;
}

} // namespace

push_message make_text_message(std::string content) {
  return make_message_of(message_type::text(), std::move(content));
}

push_message make_binary_message(std::string bytes) {
  return make_message_of(message_type::binary(), std::move(bytes));
}

push_message make_notification(std::string content) {
  return make_message_of(message_type::notification(), std::move(content));
}

push_message make_kick_out_message(std::string reason) {
  return make_message_of(message_type::kick_out(), std::move(reason));
}

push_message make_custom_message(std::string type_name, std::string content) {
  return make_message_of(message_type::custom(std::move(type_name)),
                         std::move(content));
}

bool operator==(const push_message& x, const push_message& y) {
  return x.message_id == y.message_id && x.type == y.type
         && x.content == y.content && x.timestamp == y.timestamp
         && x.metadata == y.metadata && x.keep_if_offline == y.keep_if_offline;
}

std::string to_string(change_status x) {
  switch (x) {
    case change_status::joined:
      return "joined";
    case change_status::reconnected:
      return "reconnected";
    case change_status::left:
      return "left";
    case change_status::user_offline:
      return "user_offline";
    case change_status::refreshed:
      return "refreshed";
    case change_status::unknown_user:
      return "unknown_user";
    case change_status::unknown_token:
      return "unknown_token";
    case change_status::subscribed:
      return "subscribed";
    case change_status::unsubscribed:
      return "unsubscribed";
    case change_status::unknown_pusher:
      return "unknown_pusher";
    case change_status::updated:
      return "updated";
    case change_status::unknown_subscriber:
      return "unknown_subscriber";
  }
  return "unknown";
}

} // namespace presence

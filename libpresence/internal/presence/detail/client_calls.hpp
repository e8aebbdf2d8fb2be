#pragma once

// The client calls: one struct per call a client can make, the one place
// where a call is checked and its operation built, for every entry point
// (docs/design.md, "Validation"). The facade checks a call on its caller's
// thread and builds the operation in place in its call buffer
// (manager_core::call); the registry builds a typed request with the same
// struct and checks it, like every operation of a foreign batch, through the
// struct of its kind (validate_op.hpp).
//
// Every call struct has:
//   result_type    what the call answers;
//   is_write       whether later queries must see it (the facade's write
//                  order);
//   check_target   the checks the facade makes before its own status;
//   check_content  the checks it makes after its status;
//   prepare()      computes the login hash of a call on one user, after the
//                  checks and, on the facade, outside its lock;
//   hash           that hash (0 before prepare, and for other calls);
//   fill(op)       writes the operation into a fresh client_op, moving the
//                  call's arguments. A struct refers to the arguments rather
//                  than holding them, so nothing is copied on the way.
//
// A struct made over a built operation's own fields (validate_op) is only
// checked and prepared, never filled.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/error.hpp>

#include "presence/detail/protocol.hpp"
#include "presence/error.hpp"
#include "presence/login_policy.hpp"
#include "presence/results.hpp"
#include "presence/validation.hpp"

namespace presence::detail {

/// The checks of a call in the facade's order: target, then the facade's
/// `status` (none in the registry), then content.
template <class Call>
caf::error check_call(const Call& call, const limits& lim,
                      const caf::error& status = caf::error{}) {
  if (auto err = call.check_target(lim))
    return err;
  if (status)
    return status;
  return call.check_content(lim);
}

// -- what calls share ---------------------------------------------------------

/// A call on one user: its login id and the registry table's hash of it.
struct on_user {
  std::string& login_id;
  /// login_hash_of(login_id) once prepared.
  size_t hash = 0;

  explicit on_user(std::string& id) noexcept : login_id(id) {
  }

  void prepare() noexcept {
    hash = login_hash_of(login_id);
  }

  /// The login id and its hash, for fill.
  void fill_user(client_op& op) {
    op.user.login_id = std::move(login_id);
    op.login_hash = hash;
  }
};

/// A call on no single user: nothing to hash.
struct on_no_user {
  static constexpr size_t hash = 0;

  void prepare() noexcept {
    // nop
  }
};

// -- presence changes ---------------------------------------------------------

/// mark_online, with the configured login policy or its own.
struct mark_online_call : on_user {
  using result_type = change_result;
  static constexpr bool is_write = true;

  online_user& user;
  /// Null: the configured policy.
  const login_policy* policy;

  explicit mark_online_call(online_user& x,
                            const login_policy* p = nullptr) noexcept
    : on_user(x.login_id), user(x), policy(p) {
  }

  caf::error check_target(const limits& lim) const {
    if (auto err = validate_user(user, lim))
      return err;
    return policy != nullptr ? validate_policy(*policy) : caf::error{};
  }

  caf::error check_content(const limits&) const {
    return caf::none;
  }

  void fill(client_op& op) {
    op.kind = op_kind::mark_online;
    op.login_hash = hash;
    op.user = std::move(user);
    if (policy != nullptr) {
      op.policy = *policy;
      op.has_policy = true;
    }
  }
};

/// The calls on one session or on all of a user's: mark_offline,
/// update_activity (with a token) and mark_offline_all (without).
struct session_call : on_user {
  using result_type = change_result;
  static constexpr bool is_write = true;

  op_kind kind;
  /// Null for mark_offline_all.
  std::string* token;

  session_call(op_kind k, std::string& login_id,
               std::string* tok = nullptr) noexcept
    : on_user(login_id), kind(k), token(tok) {
  }

  caf::error check_target(const limits& lim) const {
    if (token == nullptr)
      return validate_login_id(login_id, lim);
    return validate_session_key(login_id, *token, lim);
  }

  caf::error check_content(const limits&) const {
    return caf::none;
  }

  void fill(client_op& op) {
    op.kind = kind;
    fill_user(op);
    if (token != nullptr)
      op.user.token = std::move(*token);
  }
};

/// mark_offline_users: every session of each listed user. One answer for
/// the whole list, which the registry takes in one turn (the facade sends a
/// long list in chunks: manager_core::logout_users).
struct logout_users_call : on_no_user {
  using result_type = change_result;
  static constexpr bool is_write = true;

  std::vector<std::string>& login_ids;

  explicit logout_users_call(std::vector<std::string>& ids) noexcept
    : login_ids(ids) {
  }

  caf::error check_target(const limits& lim) const {
    // The answer merges one part per user, counted in 32 bits.
    if (login_ids.size() > UINT32_MAX)
      return make_error(error::field_too_long,
                        "more than 2^32-1 login ids in one call");
    for (auto& x : login_ids)
      if (auto err = validate_login_id(x, lim))
        return err;
    return caf::none;
  }

  caf::error check_content(const limits&) const {
    return caf::none;
  }

  void fill(client_op& op) {
    op.kind = op_kind::mark_offline_users;
    op.login_ids = std::move(login_ids);
  }
};

/// update_metadata: replaces a session's metadata. The metadata is checked
/// before the facade's status, as it always was.
struct metadata_call : on_user {
  using result_type = change_result;
  static constexpr bool is_write = true;

  std::string& token;
  metadata_map& metadata;

  metadata_call(std::string& login_id, std::string& tok,
                metadata_map& md) noexcept
    : on_user(login_id), token(tok), metadata(md) {
  }

  caf::error check_target(const limits& lim) const {
    if (auto err = validate_session_key(login_id, token, lim))
      return err;
    return validate_metadata(metadata, lim);
  }

  caf::error check_content(const limits&) const {
    return caf::none;
  }

  void fill(client_op& op) {
    op.kind = op_kind::update_metadata;
    fill_user(op);
    op.user.token = std::move(token);
    op.user.metadata = std::move(metadata);
  }
};

// -- pushes -------------------------------------------------------------------

/// push_to_user: a Text message to one user, written in place (the hottest
/// call: no message is made first and then moved).
struct push_text_call : on_user {
  using result_type = delivery_report;
  static constexpr bool is_write = false;

  std::string& content;

  push_text_call(std::string& login_id, std::string& text) noexcept
    : on_user(login_id), content(text) {
  }

  caf::error check_target(const limits& lim) const {
    return validate_login_id(login_id, lim);
  }

  caf::error check_content(const limits& lim) const {
    return validate_text(content, lim);
  }

  void fill(client_op& op) {
    op.kind = op_kind::push_user;
    fill_user(op);
    op.message.type = message_type::text();
    op.message.content = std::move(content);
  }
};

/// push_message_to_user: any message to one user.
struct push_call : on_user {
  using result_type = delivery_report;
  static constexpr bool is_write = false;

  push_message& message;

  push_call(std::string& login_id, push_message& msg) noexcept
    : on_user(login_id), message(msg) {
  }

  caf::error check_target(const limits& lim) const {
    return validate_login_id(login_id, lim);
  }

  caf::error check_content(const limits& lim) const {
    return validate_message(message, lim);
  }

  void fill(client_op& op) {
    op.kind = op_kind::push_user;
    fill_user(op);
    op.message = std::move(message);
  }
};

/// push_to_users and push_message_to_users.
struct push_users_call : on_no_user {
  using result_type = delivery_report;
  static constexpr bool is_write = false;

  std::vector<std::string>& login_ids;
  push_message& message;

  push_users_call(std::vector<std::string>& ids, push_message& msg) noexcept
    : login_ids(ids), message(msg) {
  }

  caf::error check_target(const limits& lim) const {
    for (auto& x : login_ids)
      if (auto err = validate_login_id(x, lim))
        return err;
    return caf::none;
  }

  caf::error check_content(const limits& lim) const {
    return validate_message(message, lim);
  }

  void fill(client_op& op) {
    op.kind = op_kind::push_users;
    op.login_ids = std::move(login_ids);
    op.message = std::move(message);
  }
};

/// broadcast and broadcast_message.
struct broadcast_call : on_no_user {
  using result_type = delivery_report;
  static constexpr bool is_write = false;

  push_message& message;

  explicit broadcast_call(push_message& msg) noexcept : message(msg) {
  }

  caf::error check_target(const limits&) const {
    return caf::none;
  }

  caf::error check_content(const limits& lim) const {
    return validate_message(message, lim);
  }

  void fill(client_op& op) {
    op.kind = op_kind::broadcast;
    op.message = std::move(message);
  }
};

// -- kicks --------------------------------------------------------------------

/// Every kick: a user's sessions (kick), one session (kick_session) or a
/// device type's (kick_device). A kick is a write: it changes presence, and
/// later queries must see it. Its reason travels as a KickOut message.
struct kick_call : on_user {
  using result_type = delivery_report;
  static constexpr bool is_write = true;

  op_kind kind;
  /// kick_session only.
  std::string* token;
  /// kick_device only.
  std::string* device;
  push_message& message;

  kick_call(op_kind k, std::string& login_id, std::string* tok,
            std::string* dev, push_message& msg) noexcept
    : on_user(login_id), kind(k), token(tok), device(dev), message(msg) {
  }

  static kick_call user(std::string& login_id, push_message& msg) noexcept {
    return {op_kind::kick, login_id, nullptr, nullptr, msg};
  }

  static kick_call session(std::string& login_id, std::string& token,
                           push_message& msg) noexcept {
    return {op_kind::kick_session, login_id, &token, nullptr, msg};
  }

  static kick_call device_type(std::string& login_id, std::string& device,
                               push_message& msg) noexcept {
    return {op_kind::kick_device, login_id, nullptr, &device, msg};
  }

  caf::error check_target(const limits& lim) const {
    if (token != nullptr)
      return validate_session_key(login_id, *token, lim);
    if (auto err = validate_login_id(login_id, lim))
      return err;
    return device != nullptr ? validate_device(*device, lim) : caf::error{};
  }

  /// The reason, bounded like an id. Only a built operation can lack the
  /// KickOut type (a foreign batch's): the entry points make it from the
  /// reason.
  caf::error check_content(const limits& lim) const {
    if (message.type.get_kind() != message_type::kind::kick_out)
      return make_error(error::malformed_message,
                        "a kick without a KickOut message (operation kind "
                          + std::to_string(static_cast<int>(kind)) + ")");
    return validate_message(message, lim);
  }

  void fill(client_op& op) {
    op.kind = kind;
    fill_user(op);
    if (token != nullptr)
      op.user.token = std::move(*token);
    if (device != nullptr)
      op.user.device = std::move(*device);
    op.message = std::move(message);
  }
};

// -- subscriptions ------------------------------------------------------------

/// (Un)subscribing a pusher (subscribe, unsubscribe) or an event subscriber
/// (subscribe_events, unsubscribe_events).
struct member_call : on_no_user {
  using result_type = change_result;
  static constexpr bool is_write = false;

  op_kind kind;
  caf::actor actor;

  /// `handle`: any actor handle (a typed pusher or subscriber handle).
  template <class Handle>
  member_call(op_kind k, const Handle& handle)
    : kind(k), actor(caf::actor_cast<caf::actor>(handle)) {
  }

  caf::error check_target(const limits&) const {
    if (actor)
      return caf::none;
    auto pusher = kind == op_kind::subscribe || kind == op_kind::unsubscribe;
    return make_error(pusher ? error::invalid_pusher
                             : error::invalid_subscriber);
  }

  caf::error check_content(const limits&) const {
    return caf::none;
  }

  void fill(client_op& op) {
    op.kind = kind;
    op.actor = std::move(actor);
  }
};

} // namespace presence::detail

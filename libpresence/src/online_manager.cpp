// The facade's API: validates each call on the caller's thread, builds its
// operation and hands it to the call window (manager_core.hpp); queries
// read the registry's published view.

#include "presence/online_manager.hpp"

#include "manager_core.hpp"

namespace presence {

// -- online_manager -------------------------------------------------------------

using detail::client_op;
using detail::op_kind;

online_manager::online_manager(caf::actor_system& sys)
  : core_(std::make_shared<detail::manager_core>(sys)) {
  core_->start();
}

online_manager::~online_manager() {
  core_->stop();
}

caf::error online_manager::status() const {
  return core_->status();
}

registry_actor online_manager::registry() const {
  return core_->registry();
}

namespace {

client_op make_op(op_kind kind, std::string login_id = {},
                  std::string token = {}) {
  client_op op;
  op.kind = kind;
  op.user.login_id = std::move(login_id);
  op.user.token = std::move(token);
  return op;
}

} // namespace

/// (Un)subscribing a pusher or an event subscriber: `invalid` for an invalid
/// handle, otherwise one call carrying the actor.
template <class Handle>
pending<change_result> membership_call(detail::manager_core& core,
                                       const Handle& handle, op_kind kind,
                                       error invalid) {
  if (!handle)
    return core.failed<change_result>(make_error(invalid));
  return core.issue_with<change_result>(false, [&](client_op& op) {
    op.kind = kind;
    op.actor = caf::actor_cast<caf::actor>(handle);
  });
}

pending<change_result> online_manager::register_pusher(const pusher_actor& p) {
  return membership_call(*core_, p, op_kind::subscribe, error::invalid_pusher);
}

pending<change_result>
online_manager::unregister_pusher(const pusher_actor& p) {
  return membership_call(*core_, p, op_kind::unsubscribe,
                         error::invalid_pusher);
}

pending<change_result> online_manager::mark_online(online_user user) {
  if (auto err = validate_user(user, core_->lim()))
    return core_->failed<change_result>(std::move(err));
  // The registry spawns the user actor. Spawning here, on the caller's
  // thread, was measured and halved W1 (see docs/design.md).
  auto hash = detail::login_hash_of(user.login_id);
  return core_->issue_with<change_result>(true, [&](client_op& op) {
    op.kind = op_kind::mark_online;
    op.user = std::move(user);
    op.login_hash = hash;
  });
}

pending<change_result> online_manager::mark_online(online_user user,
                                                   login_policy policy) {
  if (auto err = validate_user(user, core_->lim()))
    return core_->failed<change_result>(std::move(err));
  if (auto err = validate_policy(policy))
    return core_->failed<change_result>(std::move(err));
  return core_->issue_with<change_result>(true, [&](client_op& op) {
    op.kind = op_kind::mark_online;
    op.user = std::move(user);
    op.policy = policy;
    op.has_policy = true;
  });
}

pending<change_result>
online_manager::update_metadata(std::string login_id, std::string token,
                                metadata_map metadata) {
  if (auto err = validate_session_key(login_id, token, core_->lim()))
    return core_->failed<change_result>(std::move(err));
  if (auto err = validate_metadata(metadata, core_->lim()))
    return core_->failed<change_result>(std::move(err));
  auto op = make_op(op_kind::update_metadata, std::move(login_id),
                    std::move(token));
  op.user.metadata = std::move(metadata);
  return core_->issue<change_result>(std::move(op), true);
}

pending<change_result>
online_manager::subscribe_events(const event_subscriber_actor& subscriber) {
  return membership_call(*core_, subscriber, op_kind::subscribe_events,
                         error::invalid_subscriber);
}

pending<change_result>
online_manager::unsubscribe_events(const event_subscriber_actor& subscriber) {
  return membership_call(*core_, subscriber, op_kind::unsubscribe_events,
                         error::invalid_subscriber);
}

caf::expected<presence_stats> online_manager::stats() {
  return core_->read_stats();
}

pending<change_result> online_manager::mark_offline(std::string login_id,
                                                    std::string token) {
  if (auto err = validate_session_key(login_id, token, core_->lim()))
    return core_->failed<change_result>(std::move(err));
  auto hash = detail::login_hash_of(login_id);
  return core_->issue_with<change_result>(true, [&](client_op& op) {
    op.kind = op_kind::mark_offline;
    op.user.login_id = std::move(login_id);
    op.user.token = std::move(token);
    op.login_hash = hash;
  });
}

pending<change_result> online_manager::mark_offline_all(std::string login_id) {
  if (auto err = validate_login_id(login_id, core_->lim()))
    return core_->failed<change_result>(std::move(err));
  // Like mark_offline: hashed here and built in place, since a mass logout
  // issues these as fast as the pushes (docs/performance.md, "Mass logout").
  auto hash = detail::login_hash_of(login_id);
  return core_->issue_with<change_result>(true, [&](client_op& op) {
    op.kind = op_kind::mark_offline_all;
    op.user.login_id = std::move(login_id);
    op.login_hash = hash;
  });
}

pending<change_result> online_manager::update_activity(std::string login_id,
                                                       std::string token) {
  if (auto err = validate_session_key(login_id, token, core_->lim()))
    return core_->failed<change_result>(std::move(err));
  auto hash = detail::login_hash_of(login_id);
  return core_->issue_with<change_result>(true, [&](client_op& op) {
    op.kind = op_kind::update_activity;
    op.user.login_id = std::move(login_id);
    op.user.token = std::move(token);
    op.login_hash = hash;
  });
}

caf::expected<bool> online_manager::is_online(const std::string& login_id) {
  if (auto err = validate_login_id(login_id, core_->lim()))
    return err;
  return core_->read([&](detail::user_table& t) {
    return t.find_online(login_id) != nullptr;
  });
}

caf::expected<size_t> online_manager::get_online_count() {
  return core_->read([](detail::user_table& t) { return t.user_count(); });
}

caf::expected<size_t> online_manager::get_session_count() {
  return core_->read([](detail::user_table& t) { return t.session_count(); });
}

caf::expected<std::vector<std::string>> online_manager::get_online_users() {
  return core_->read([](detail::user_table& t) {
    std::vector<std::string> result;
    result.reserve(t.user_count());
    for (auto& e : t.entries())
      if (!e.sessions.empty())
        result.push_back(e.login_id);
    return result;
  });
}

caf::expected<std::vector<online_user>>
online_manager::get_user_sessions(const std::string& login_id) {
  if (auto err = validate_login_id(login_id, core_->lim()))
    return err;
  return core_->read([&](detail::user_table& t) {
    auto e = t.find(login_id);
    return e != nullptr ? e->online_users() : std::vector<online_user>{};
  });
}

/// A push to one user: checks the login id, the facade and the content (in
/// that order), then builds the call in place; `fill` writes its message.
template <class Check, class Fill>
pending<delivery_report> push_to_one(detail::manager_core& core,
                                     std::string& login_id, Check check,
                                     Fill fill) {
  if (auto err = validate_login_id(login_id, core.lim()))
    return core.failed<delivery_report>(std::move(err));
  if (core.status())
    return core.failed<delivery_report>(core.status());
  if (auto err = check(core.lim()))
    return core.failed<delivery_report>(std::move(err));
  // Hashed here, outside the facade's lock and off the registry's thread.
  auto hash = detail::login_hash_of(login_id);
  return core.issue_with<delivery_report>(false, [&](client_op& op) {
    op.kind = op_kind::push_user;
    op.user.login_id = std::move(login_id);
    op.login_hash = hash;
    fill(op.message);
  });
}

pending<delivery_report> online_manager::push_to_user(std::string login_id,
                                                      std::string content) {
  // The hottest call: its Text message is built in place in the call buffer
  // rather than made and then moved (docs/performance.md).
  return push_to_one(
    *core_, login_id,
    [&](const limits& lim) { return validate_text(content, lim); },
    [&](push_message& msg) {
      msg.type = message_type::text();
      msg.content = std::move(content);
    });
}

pending<delivery_report>
online_manager::push_message_to_user(std::string login_id,
                                     push_message message) {
  return push_to_one(
    *core_, login_id,
    [&](const limits& lim) { return validate_message(message, lim); },
    [&](push_message& msg) { msg = std::move(message); });
}

pending<delivery_report>
online_manager::push_to_users(std::vector<std::string> login_ids,
                              std::string content) {
  return push_message_to_users(std::move(login_ids),
                               make_text_message(std::move(content)));
}

pending<delivery_report>
online_manager::push_message_to_users(std::vector<std::string> login_ids,
                                      push_message message) {
  for (auto& x : login_ids)
    if (auto err = validate_login_id(x, core_->lim()))
      return core_->failed<delivery_report>(std::move(err));
  if (core_->status())
    return core_->failed<delivery_report>(core_->status());
  if (auto err = validate_message(message, core_->lim()))
    return core_->failed<delivery_report>(std::move(err));
  auto op = make_op(op_kind::push_users);
  op.login_ids = std::move(login_ids);
  op.message = std::move(message);
  return core_->issue<delivery_report>(std::move(op), false);
}

pending<delivery_report> online_manager::broadcast(std::string content) {
  return broadcast_message(make_text_message(std::move(content)));
}

pending<delivery_report>
online_manager::broadcast_message(push_message message) {
  if (core_->status())
    return core_->failed<delivery_report>(core_->status());
  if (auto err = validate_message(message, core_->lim()))
    return core_->failed<delivery_report>(std::move(err));
  auto op = make_op(op_kind::broadcast);
  op.message = std::move(message);
  return core_->issue<delivery_report>(std::move(op), false);
}

namespace {

/// Every kick: the facade must be usable, the reason makes a valid KickOut,
/// and the call is a write (a kick changes presence: later queries must see
/// it).
pending<delivery_report> kick_call(detail::manager_core& core, client_op op,
                                   std::string reason) {
  if (core.status())
    return core.failed<delivery_report>(core.status());
  op.message = make_kick_out_message(std::move(reason));
  if (auto err = validate_message(op.message, core.lim()))
    return core.failed<delivery_report>(std::move(err));
  return core.issue<delivery_report>(std::move(op), true);
}

} // namespace

pending<delivery_report> online_manager::kick_out_notify(std::string login_id,
                                                         std::string reason) {
  if (auto err = validate_login_id(login_id, core_->lim()))
    return core_->failed<delivery_report>(std::move(err));
  return kick_call(*core_, make_op(op_kind::kick, std::move(login_id)),
                   std::move(reason));
}

pending<delivery_report>
online_manager::kick_out_session(std::string login_id, std::string token,
                                 std::string reason) {
  if (auto err = validate_session_key(login_id, token, core_->lim()))
    return core_->failed<delivery_report>(std::move(err));
  return kick_call(*core_,
                   make_op(op_kind::kick_session, std::move(login_id),
                           std::move(token)),
                   std::move(reason));
}

pending<delivery_report>
online_manager::kick_out_device(std::string login_id, std::string device,
                                std::string reason) {
  if (auto err = validate_login_id(login_id, core_->lim()))
    return core_->failed<delivery_report>(std::move(err));
  if (auto err = validate_device(device, core_->lim()))
    return core_->failed<delivery_report>(std::move(err));
  auto op = make_op(op_kind::kick_device, std::move(login_id));
  op.user.device = std::move(device);
  return kick_call(*core_, std::move(op), std::move(reason));
}

caf::error online_manager::sync() {
  if (auto err = core_->status())
    return err;
  return core_->sync();
}

uint64_t online_manager::blocking_calls_refused() const {
  return core_->refused();
}

} // namespace presence

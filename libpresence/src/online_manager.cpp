// The facade's API: hands each call, as its call struct (client_calls.hpp),
// to the call window (manager_core.hpp), which checks it on the caller's
// thread and builds its operation in place; queries read the registry's
// published view.

#include "presence/online_manager.hpp"

#include "manager_core.hpp"

namespace presence {

// -- online_manager -------------------------------------------------------------

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

pending<change_result> online_manager::register_pusher(const pusher_actor& p) {
  return core_->call(detail::member_call{op_kind::subscribe, p});
}

pending<change_result>
online_manager::unregister_pusher(const pusher_actor& p) {
  return core_->call(detail::member_call{op_kind::unsubscribe, p});
}

pending<change_result> online_manager::mark_online(online_user user) {
  // The registry spawns the user actor. Spawning here, on the caller's
  // thread, was measured and halved W1 (see docs/design.md).
  return core_->call(detail::mark_online_call{user});
}

pending<change_result> online_manager::mark_online(online_user user,
                                                   login_policy policy) {
  return core_->call(detail::mark_online_call{user, &policy});
}

pending<change_result>
online_manager::update_metadata(std::string login_id, std::string token,
                                metadata_map metadata) {
  return core_->call(detail::metadata_call{login_id, token, metadata});
}

pending<change_result>
online_manager::subscribe_events(const event_subscriber_actor& subscriber) {
  return core_->call(
    detail::member_call{op_kind::subscribe_events, subscriber});
}

pending<change_result>
online_manager::unsubscribe_events(const event_subscriber_actor& subscriber) {
  return core_->call(
    detail::member_call{op_kind::unsubscribe_events, subscriber});
}

caf::expected<presence_stats> online_manager::stats() {
  return core_->read_stats();
}

pending<change_result> online_manager::mark_offline(std::string login_id,
                                                    std::string token) {
  return core_->call(
    detail::session_call{op_kind::mark_offline, login_id, &token});
}

pending<change_result> online_manager::mark_offline_all(std::string login_id) {
  // Built in place like mark_offline, since a mass logout issues these as
  // fast as the pushes (docs/performance.md, "Mass logout").
  return core_->call(detail::session_call{op_kind::mark_offline_all, login_id});
}

pending<change_result>
online_manager::mark_offline_users(std::vector<std::string> login_ids) {
  return core_->logout_users(login_ids);
}

pending<change_result> online_manager::update_activity(std::string login_id,
                                                       std::string token) {
  return core_->call(
    detail::session_call{op_kind::update_activity, login_id, &token});
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
  return core_->read([](detail::user_table& t) { return t.online_ids(); });
}

caf::expected<std::vector<online_user>>
online_manager::get_user_sessions(const std::string& login_id) {
  if (auto err = validate_login_id(login_id, core_->lim()))
    return err;
  return core_->read_view([&](detail::presence_view& v) {
    auto e = v.table.find(login_id);
    return e != nullptr ? e->online_users(v.nodes) : std::vector<online_user>{};
  });
}

pending<delivery_report> online_manager::push_to_user(std::string login_id,
                                                      std::string content) {
  // The hottest call: its Text message is built in place in the call buffer
  // rather than made and then moved (docs/performance.md).
  return core_->call(detail::push_text_call{login_id, content});
}

pending<delivery_report>
online_manager::push_message_to_user(std::string login_id,
                                     push_message message) {
  return core_->call(detail::push_call{login_id, message});
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
  return core_->call(detail::push_users_call{login_ids, message});
}

pending<delivery_report> online_manager::broadcast(std::string content) {
  return broadcast_message(make_text_message(std::move(content)));
}

pending<delivery_report>
online_manager::broadcast_message(push_message message) {
  return core_->call(detail::broadcast_call{message});
}

pending<delivery_report> online_manager::kick_out_notify(std::string login_id,
                                                         std::string reason) {
  auto msg = make_kick_out_message(std::move(reason));
  return core_->call(detail::kick_call::user(login_id, msg));
}

pending<delivery_report>
online_manager::kick_out_session(std::string login_id, std::string token,
                                 std::string reason) {
  auto msg = make_kick_out_message(std::move(reason));
  return core_->call(detail::kick_call::session(login_id, token, msg));
}

pending<delivery_report>
online_manager::kick_out_device(std::string login_id, std::string device,
                                std::string reason) {
  auto msg = make_kick_out_message(std::move(reason));
  return core_->call(detail::kick_call::device_type(login_id, device, msg));
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

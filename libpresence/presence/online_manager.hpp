#pragma once

// The facade for code that is not an actor. One set of semantics with the
// registry's typed interface; see README.md for the operations table.
//
// Contract:
// - Writes and pushes return a `pending<T>` at once. Invalid input fails the
//   pending immediately; outcomes that depend on the registry's state (unknown
//   token, the delivery report) arrive in it later.
// - Ordering is per facade object: once a write has returned, every later
//   query through the same facade, from any thread, sees it. Queries wait for
//   earlier writes, then read the registry's published view without sending a
//   message.
// - At most `presence.window` calls are in flight; a caller blocks while the
//   window is full, so a fast caller cannot grow the registry's mailbox
//   without bound.
// - Inside an actor (README, "Blocking calls inside actors") nothing blocks:
//   calls are issued while the window has room and their pendings dropped;
//   waiting on a pending, a query, sync() and a call that finds the window
//   full fail at once with `blocking_call_in_actor` where presence can tell
//   (presence's `spinning` scheduler, CAF 0.17's `sharing` and `stealing`).

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "presence/actor_interfaces.hpp"
#include "presence/online_user.hpp"
#include "presence/pending.hpp"
#include "presence/push_message.hpp"
#include "presence/results.hpp"

namespace presence {

namespace detail {

class manager_core;

} // namespace detail

class online_manager {
public:
  /// Spawns a registry of its own on `sys`. If `sys` was not prepared with
  /// `presence::configure`, `status()` says so and every call fails with
  /// `system_not_configured`.
  explicit online_manager(caf::actor_system& sys);

  /// Completes every call in flight, then stops the registry and its user
  /// actors.
  ~online_manager();

  online_manager(const online_manager&) = delete;
  online_manager& operator=(const online_manager&) = delete;

  /// Empty if the manager is usable.
  caf::error status() const;

  /// The registry, for actor code that wants request/then.
  registry_actor registry() const;

  // -- pushers ----------------------------------------------------------------

  pending<change_result> register_pusher(const pusher_actor& pusher);
  pending<change_result> unregister_pusher(const pusher_actor& pusher);

  // -- presence changes -------------------------------------------------------

  /// Upsert: a session with the same (login id, token) is replaced. A new
  /// session is subject to the configured login policy.
  pending<change_result> mark_online(online_user user);
  /// As above with this call's own login policy. A policy that rejects fails
  /// the pending with `too_many_sessions` or `device_taken`; one that
  /// replaces kicks the oldest conflicting session (KickOut, "replaced").
  /// An invalid policy fails with `invalid_policy` and changes nothing.
  pending<change_result> mark_online(online_user user, login_policy policy);
  pending<change_result> mark_offline(std::string login_id, std::string token);
  pending<change_result> mark_offline_all(std::string login_id);
  /// Every session of each listed user, in one call: for a mass logout (a
  /// gateway that lost its connections, a tenant signed out). A list longer
  /// than 1,024 users goes to the registry in chunks, a few at a time, so
  /// other callers keep most of its throughput; calls made after this one
  /// on a listed user still take effect after that user's logout. One
  /// answer for the whole list: `removed` counts every session removed, the
  /// status is `user_offline` if that is not zero and `unknown_user`
  /// otherwise.
  pending<change_result>
  mark_offline_users(std::vector<std::string> login_ids);
  /// Refreshes a session's last activity, which keeps it from the idle
  /// timeout (`presence.idle-timeout`).
  pending<change_result> update_activity(std::string login_id,
                                         std::string token);
  /// Replaces a session's metadata (status `updated`) and emits an `updated`
  /// event.
  pending<change_result> update_metadata(std::string login_id,
                                         std::string token,
                                         metadata_map metadata);

  // -- presence queries -------------------------------------------------------

  caf::expected<bool> is_online(const std::string& login_id);
  /// Distinct online users.
  caf::expected<size_t> get_online_count();
  caf::expected<size_t> get_session_count();
  caf::expected<std::vector<std::string>> get_online_users();
  caf::expected<std::vector<online_user>>
  get_user_sessions(const std::string& login_id);
  /// Counters for metrics (see stats.hpp).
  caf::expected<presence_stats> stats();

  // -- pushes -----------------------------------------------------------------

  /// A Text message to every session of one user.
  pending<delivery_report> push_to_user(std::string login_id,
                                        std::string content);
  pending<delivery_report> push_message_to_user(std::string login_id,
                                                push_message message);
  /// Each listed user once, even if listed twice.
  pending<delivery_report> push_to_users(std::vector<std::string> login_ids,
                                         std::string content);
  pending<delivery_report>
  push_message_to_users(std::vector<std::string> login_ids,
                        push_message message);
  /// Every online user once. The report has counts, no lists.
  pending<delivery_report> broadcast(std::string content);
  pending<delivery_report> broadcast_message(push_message message);
  /// Delivers KickOut (content = reason) to every session of the user, then
  /// takes the user offline even if a pusher failed.
  pending<delivery_report> kick_out_notify(std::string login_id,
                                           std::string reason);
  /// KickOut to one session only, which then goes offline.
  pending<delivery_report> kick_out_session(std::string login_id,
                                            std::string token,
                                            std::string reason);
  /// KickOut to every session of one device type, which then go offline;
  /// the user's other devices stay online.
  pending<delivery_report> kick_out_device(std::string login_id,
                                           std::string device,
                                           std::string reason);

  // -- presence events --------------------------------------------------------

  /// The subscriber receives presence_events batches (presence_event.hpp)
  /// from now on; a dead subscriber is dropped automatically.
  pending<change_result>
  subscribe_events(const event_subscriber_actor& subscriber);
  pending<change_result>
  unsubscribe_events(const event_subscriber_actor& subscriber);

  /// Blocks until every call issued so far through this facade is complete.
  /// Fails at once with `blocking_call_in_actor` inside an actor, and with
  /// the manager's status if it is not usable.
  caf::error sync();

  /// Blocking calls this manager and its pendings refused inside actors
  /// (`blocking_call_in_actor`), for metrics. Never blocks.
  uint64_t blocking_calls_refused() const;

private:
  std::shared_ptr<detail::manager_core> core_;
};

} // namespace presence

#pragma once

// The typed actor interfaces of presence, declared together.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "presence/atoms.hpp"
#include "presence/delivery_batch.hpp"
#include "presence/login_policy.hpp"
#include "presence/online_user.hpp"
#include "presence/presence_event.hpp"
#include "presence/push_message.hpp"
#include "presence/results.hpp"
#include "presence/stats.hpp"

namespace presence {

/// A pusher takes batches of deliveries out of the library. The registry sends
/// each batch as a request; the (empty) response confirms it, an error
/// response fails it. A pusher that dies is unsubscribed automatically, and one
/// that does not answer within `presence.pusher-timeout` fails the batch.
using pusher_actor
  = caf::typed_actor<caf::reacts_to<deliver_atom, delivery_batch>>;

/// The in-memory pusher: keeps the last messages per login id.
using in_memory_pusher_actor = pusher_actor::extend<
  caf::replies_to<get_messages_atom, std::string>::with<
    std::vector<push_message>>,
  caf::replies_to<clear_messages_atom, std::string>::with<uint64_t>,
  caf::replies_to<dropped_atom>::with<uint64_t>>;

/// Receives the registry's presence events in batches (see presence_event.hpp).
/// A subscriber that dies is unsubscribed automatically.
using event_subscriber_actor
  = caf::typed_actor<caf::reacts_to<presence_events_atom, presence_events>>;

/// The registry: knows every user actor, answers presence queries and routes
/// pushes to the subscribed pushers. Use it from actor code with request/then.
/// These are its public requests (the README's table); presence's own actors
/// talk to it through an internal handle with more messages.
using registry_actor = caf::typed_actor<
  // -- presence changes -------------------------------------------------------
  caf::replies_to<mark_online_atom, online_user>::with<change_result>,
  caf::replies_to<mark_online_atom, online_user, login_policy>::with<
    change_result>,
  caf::replies_to<mark_offline_atom, std::string, std::string>::with<
    change_result>,
  caf::replies_to<mark_offline_all_atom, std::string>::with<change_result>,
  // mark_offline_users: every session of each listed user.
  caf::replies_to<mark_offline_all_atom, std::vector<std::string>>::with<
    change_result>,
  caf::replies_to<update_activity_atom, std::string, std::string>::with<
    change_result>,
  caf::replies_to<update_metadata_atom, std::string, std::string,
                  metadata_map>::with<change_result>,
  // -- presence queries -------------------------------------------------------
  caf::replies_to<is_online_atom, std::string>::with<bool>,
  caf::replies_to<online_count_atom>::with<uint64_t>,
  caf::replies_to<session_count_atom>::with<uint64_t>,
  caf::replies_to<online_users_atom>::with<std::vector<std::string>>,
  caf::replies_to<user_sessions_atom, std::string>::with<
    std::vector<online_user>>,
  caf::replies_to<stats_atom>::with<presence_stats>,
  // -- pushes -----------------------------------------------------------------
  caf::replies_to<push_atom, std::string, push_message>::with<delivery_report>,
  caf::replies_to<push_atom, std::vector<std::string>, push_message>::with<
    delivery_report>,
  caf::replies_to<broadcast_atom, push_message>::with<delivery_report>,
  caf::replies_to<kick_atom, std::string, std::string>::with<delivery_report>,
  // login id, token, reason
  caf::replies_to<kick_session_atom, std::string, std::string,
                  std::string>::with<delivery_report>,
  // login id, device, reason
  caf::replies_to<kick_device_atom, std::string, std::string,
                  std::string>::with<delivery_report>,
  // -- pushers ----------------------------------------------------------------
  caf::replies_to<subscribe_atom, pusher_actor>::with<change_result>,
  caf::replies_to<unsubscribe_atom, pusher_actor>::with<change_result>,
  // -- presence events --------------------------------------------------------
  caf::replies_to<subscribe_events_atom, event_subscriber_actor>::with<
    change_result>,
  caf::replies_to<unsubscribe_events_atom, event_subscriber_actor>::with<
    change_result>>;

} // namespace presence

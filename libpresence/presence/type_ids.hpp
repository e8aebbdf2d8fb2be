#pragma once

// Presence's type ID block: every public type that crosses an actor
// boundary, under the same name on every node. The internal messages have a
// block of their own (presence/detail/internal_type_ids.hpp, not installed)
// that follows this one. `presence::configure` registers both.

#include <caf/type_id.hpp>

#include "presence/actor_interfaces.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(presence, caf::first_custom_type_id + 100)

  CAF_ADD_TYPE_ID(presence, (presence::online_user))
  CAF_ADD_TYPE_ID(presence, (presence::message_type))
  CAF_ADD_TYPE_ID(presence, (presence::push_message))
  CAF_ADD_TYPE_ID(presence, (presence::session_target))
  CAF_ADD_TYPE_ID(presence, (presence::delivery))
  CAF_ADD_TYPE_ID(presence, (presence::delivery_batch))
  CAF_ADD_TYPE_ID(presence, (presence::change_status))
  CAF_ADD_TYPE_ID(presence, (presence::change_result))
  CAF_ADD_TYPE_ID(presence, (presence::pusher_failure))
  CAF_ADD_TYPE_ID(presence, (presence::delivery_report))
  CAF_ADD_TYPE_ID(presence, (std::vector<presence::online_user>))
  CAF_ADD_TYPE_ID(presence, (std::vector<presence::push_message>))
  CAF_ADD_TYPE_ID(presence, (std::vector<std::string>))
  CAF_ADD_TYPE_ID(presence, (presence::pusher_actor))
  CAF_ADD_TYPE_ID(presence, (presence::in_memory_pusher_actor))
  CAF_ADD_TYPE_ID(presence, (presence::registry_actor))
  CAF_ADD_TYPE_ID(presence, (presence::limit_action))
  CAF_ADD_TYPE_ID(presence, (presence::login_policy))
  CAF_ADD_TYPE_ID(presence, (presence::event_kind))
  CAF_ADD_TYPE_ID(presence, (presence::presence_event))
  CAF_ADD_TYPE_ID(presence, (presence::presence_events))
  CAF_ADD_TYPE_ID(presence, (presence::presence_stats))
  CAF_ADD_TYPE_ID(presence, (presence::event_subscriber_actor))
  CAF_ADD_TYPE_ID(presence, (presence::peer_stats))
  CAF_ADD_TYPE_ID(presence, (std::vector<presence::peer_stats>))

CAF_END_TYPE_ID_BLOCK(presence)

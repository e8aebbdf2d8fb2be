#pragma once

// The type ID block of presence's internal messages, right after the public
// block (presence/type_ids.hpp). Not installed.

#include <caf/type_id.hpp>

#include "presence/detail/internal_interfaces.hpp"
#include "presence/type_ids.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(presence_internal, caf::id_block::presence::end)

  CAF_ADD_TYPE_ID(presence_internal, (presence::detail::user_actor))
  CAF_ADD_TYPE_ID(presence_internal, (presence::detail::client_actor))
  CAF_ADD_TYPE_ID(presence_internal, (presence::detail::op_kind))
  CAF_ADD_TYPE_ID(presence_internal, (presence::detail::client_op))
  CAF_ADD_TYPE_ID(presence_internal, (presence::detail::client_batch))
  CAF_ADD_TYPE_ID(presence_internal, (presence::detail::op_result))
  CAF_ADD_TYPE_ID(presence_internal, (presence::detail::client_results))
  CAF_ADD_TYPE_ID(presence_internal, (presence::detail::user_command))
  CAF_ADD_TYPE_ID(presence_internal, (presence::detail::user_update))
  CAF_ADD_TYPE_ID(presence_internal, (presence::detail::local_change))
  CAF_ADD_TYPE_ID(presence_internal, (presence::detail::local_changes))
  CAF_ADD_TYPE_ID(presence_internal, (presence::detail::remote_change))
  CAF_ADD_TYPE_ID(presence_internal, (presence::detail::remote_update))

CAF_END_TYPE_ID_BLOCK(presence_internal)

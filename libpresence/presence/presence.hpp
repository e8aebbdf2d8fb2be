#pragma once

// Umbrella header: everything an application needs.

#include "presence/actor_interfaces.hpp"
#include "presence/atoms.hpp"
#include "presence/callback_pusher.hpp"
#include "presence/config.hpp"
#include "presence/delivery_batch.hpp"
#include "presence/error.hpp"
#include "presence/in_memory_pusher.hpp"
#include "presence/login_policy.hpp"
#include "presence/message_type.hpp"
#include "presence/online_manager.hpp"
#include "presence/online_user.hpp"
#include "presence/pending.hpp"
#include "presence/presence_event.hpp"
#include "presence/push_message.hpp"
#include "presence/registry.hpp"
#include "presence/results.hpp"
#include "presence/stats.hpp"
#include "presence/type_ids.hpp"
#include "presence/validation.hpp"

#pragma once

// Message tags. CAF 0.17 atoms hold at most 10 characters; every tag starts
// with "p" to stay clear of CAF's own atoms.

#include <caf/atom.hpp>

namespace presence {

using mark_online_atom = caf::atom_constant<caf::atom("pOnline")>;
using mark_offline_atom = caf::atom_constant<caf::atom("pOffline")>;
using mark_offline_all_atom = caf::atom_constant<caf::atom("pOfflineA")>;
using update_activity_atom = caf::atom_constant<caf::atom("pActivity")>;
using is_online_atom = caf::atom_constant<caf::atom("pIsOnline")>;
using online_count_atom = caf::atom_constant<caf::atom("pUCount")>;
using session_count_atom = caf::atom_constant<caf::atom("pSCount")>;
using online_users_atom = caf::atom_constant<caf::atom("pUsers")>;
using user_sessions_atom = caf::atom_constant<caf::atom("pSessions")>;
using push_atom = caf::atom_constant<caf::atom("pPush")>;
using broadcast_atom = caf::atom_constant<caf::atom("pBcast")>;
using kick_atom = caf::atom_constant<caf::atom("pKick")>;
using subscribe_atom = caf::atom_constant<caf::atom("pSub")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("pUnsub")>;
using deliver_atom = caf::atom_constant<caf::atom("pDeliver")>;
using get_messages_atom = caf::atom_constant<caf::atom("pGetMsgs")>;
using clear_messages_atom = caf::atom_constant<caf::atom("pClearMsgs")>;
using dropped_atom = caf::atom_constant<caf::atom("pDropped")>;
using kick_session_atom = caf::atom_constant<caf::atom("pKickSess")>;
using kick_device_atom = caf::atom_constant<caf::atom("pKickDev")>;
using update_metadata_atom = caf::atom_constant<caf::atom("pMetadata")>;
using subscribe_events_atom = caf::atom_constant<caf::atom("pSubEv")>;
using unsubscribe_events_atom = caf::atom_constant<caf::atom("pUnsubEv")>;
using presence_events_atom = caf::atom_constant<caf::atom("pEvents")>;
using stats_atom = caf::atom_constant<caf::atom("pStats")>;

} // namespace presence

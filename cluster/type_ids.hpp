#pragma once

// The type ID block of the replication messages, right after presence's
// internal block, under the same names on every node. register_types adds
// it to a config; the cluster's setup calls it before the system starts.

#include <caf/actor_system_config.hpp>
#include <caf/type_id.hpp>

#include "actors/cluster_actor.hpp"
#include "cluster/handshake.hpp"
#include "cluster/membership.hpp"
#include "cluster/replication.hpp"
#include "presence/detail/internal_type_ids.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(presence_cluster, caf::id_block::presence_internal::end)

  CAF_ADD_TYPE_ID(presence_cluster, (presence::cluster::op_kind))
  CAF_ADD_TYPE_ID(presence_cluster, (presence::cluster::replica_session))
  CAF_ADD_TYPE_ID(presence_cluster, (presence::cluster::session_op))
  CAF_ADD_TYPE_ID(presence_cluster, (presence::cluster::owner_delta))
  CAF_ADD_TYPE_ID(presence_cluster, (presence::cluster::snapshot_chunk))
  CAF_ADD_TYPE_ID(presence_cluster, (presence::cluster::node_address))
  CAF_ADD_TYPE_ID(presence_cluster,
                  (std::vector<presence::cluster::node_address>))
  CAF_ADD_TYPE_ID(presence_cluster, (presence::cluster::hello))
  CAF_ADD_TYPE_ID(presence_cluster, (presence::peer_state))
  CAF_ADD_TYPE_ID(presence_cluster, (presence::member_info))
  CAF_ADD_TYPE_ID(presence_cluster,
                  (std::vector<presence::member_info>))
  CAF_ADD_TYPE_ID(presence_cluster, (presence::cluster_counters))

CAF_END_TYPE_ID_BLOCK(presence_cluster)

namespace presence::cluster {

/// Registers the replication messages with `cfg`, in addition to what
/// `presence::configure` registers.
inline void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::presence_cluster>();
}

} // namespace presence::cluster

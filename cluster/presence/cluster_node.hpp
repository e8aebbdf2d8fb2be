#pragma once

// Running this node's cluster: start_cluster joins the registry of one
// manager to the cluster the `presence.cluster.*` options describe, and the
// handle it answers lists the members and compares views.

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "presence/actor_interfaces.hpp"
#include "presence/cluster_members.hpp"

namespace presence {

class online_manager;

/// Starts this node's cluster for `manager`'s registry: publishes the
/// cluster actor on `presence.cluster.bind`/`port` (through TLS with
/// `presence.cluster.tls`), dials the seeds and keeps dialing with backoff.
/// `sys` must have been prepared with configure_cluster (before parse).
/// Fails with the settings' errors (read_cluster_settings), CAF's error if
/// the port cannot be bound, or the registry's `cluster_already_attached` (one
/// cluster per registry). Blocks while it
/// binds the port: call it from outside actors.
///
/// The node goes with its registry. A cluster actor killed by anything but
/// stop_cluster (CAF 0.17 lets a peer kill any actor it can reach with
/// exit_reason::kill) is replaced at once by a new incarnation on the same
/// port: peers see the node leave and come back.
caf::expected<cluster_actor> start_cluster(caf::actor_system& sys,
                                           online_manager& manager);

/// The same for a registry spawned with spawn_registry.
caf::expected<cluster_actor> start_cluster(caf::actor_system& sys,
                                           const registry_actor& registry);

/// Leaves the cluster: peers drop this node's sessions at once
/// (`node_left`), and the port closes. Blocks until the node is stopped.
void stop_cluster(caf::actor_system& sys, const cluster_actor& node);

} // namespace presence

#pragma once

// Opening this node's cluster port: publishes the node's gatekeeper actor on
// the configured bind address and port, with SO_REUSEADDR so that a
// restarted node rebinds at once, through CAF's OpenSSL manager when TLS is
// on. Blocks until the middleman answers: call it from the thread that
// starts the node, never inside an event-based actor.

#include <cstdint>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "presence/cluster_settings.hpp"

namespace presence::cluster {

/// Publishes `gatekeeper` per `s` (bind, port, tls) and answers the bound
/// port (any free port when `s.port` is 0). Refuses a non-loopback bind
/// without TLS or insecure-network (`insecure_bind`) even for settings that
/// did not come from read_cluster_settings. CAF's error otherwise.
caf::expected<uint16_t> publish_endpoint(caf::actor_system& sys,
                                         const caf::actor& gatekeeper,
                                         const cluster_settings& s);

/// Closes the port again (CAF's unpublish). Sending the gatekeeper an exit
/// message does not close it.
caf::error close_endpoint(caf::actor_system& sys, const caf::actor& gatekeeper,
                          uint16_t port, bool tls);

} // namespace presence::cluster

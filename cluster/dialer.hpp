#pragma once

// Dialing a peer's published cluster actor without blocking the caller. A
// helper actor on its own thread probes the address first (a non-blocking
// connect, so that an address that drops SYNs cannot stall the middleman's
// blocking connect for everyone), then asks the middleman, or CAF's OpenSSL
// manager with TLS, and sends the caller one of
//
//   (dial_result_atom, uint64_t attempt, caf::actor peer)
//   (dial_result_atom, uint64_t attempt, caf::error why)
//
// The caller retries with a backoff (backoff.hpp) and monitors the peer: CAF
// caches a connect's answer per host:port until the proxy's down message, so
// a peer restarted before that is answered with the old, dead handle, whose
// down message then triggers the next dial.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/timespan.hpp>

#include "cluster/connect_probe.hpp"
#include "presence/cluster_settings.hpp"

namespace presence::cluster {

/// Tags the answer of a dial. A local message only: no type ID needed.
using dial_result_atom = caf::atom_constant<caf::atom("pDialed")>;

struct dial_request {
  /// Where the peer published its cluster actor.
  peer_address peer;
  /// Connect through CAF's OpenSSL manager (mutual TLS).
  bool tls = false;
  /// Echoed in the answer, so the caller can tell a stale one.
  uint64_t attempt = 0;
  /// How long the probe waits for the address to accept.
  caf::timespan probe_timeout = std::chrono::seconds(1);
  /// The probe; null takes the real one (tcp_probe).
  std::shared_ptr<address_probe> probe;
  /// Where a refused connect is logged; null logs to stderr.
  std::function<void(const std::string&)> log;
};

/// Starts a dial and returns at once. A failed probe answers its error
/// without touching the middleman; a middleman failure answers
/// `connect_failed` with CAF's error as context (after one retry on
/// CAF's `connection_timeout`: with heartbeats on, a connection still in its
/// handshake can be dropped at the next heartbeat tick) and is logged.
void dial(caf::actor_system& sys, const caf::actor& reply_to,
          dial_request req);

} // namespace presence::cluster

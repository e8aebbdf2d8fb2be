#pragma once

// Probing a peer's address before asking CAF's middleman to connect. CAF
// 0.17's middleman connects with a blocking connect(): one address that drops
// SYNs stalls every connect queued behind it for minutes. A non-blocking
// connect with a short timeout finds such an address first. The dialer takes
// the probe as an interface, so that tests can inject failures.

#include <cstdint>
#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/timespan.hpp>

namespace presence::cluster {

class address_probe {
public:
  virtual ~address_probe();

  /// Empty when `host:port` accepts a TCP connection within `timeout`;
  /// otherwise `unresolvable`, `connection_refused`, `probe_timeout` or
  /// `unreachable` (presence::cluster_error). Blocks: call it on a helper
  /// thread, never inside an event-based actor.
  virtual caf::error probe(const std::string& host, uint16_t port,
                           caf::timespan timeout) = 0;
};

/// The real probe: resolves `host` (getaddrinfo, which may itself block on
/// DNS), connects to each address without blocking until one accepts, polls
/// up to the remaining timeout, and closes the socket again.
class tcp_probe : public address_probe {
public:
  caf::error probe(const std::string& host, uint16_t port,
                   caf::timespan timeout) override;
};

/// A shared tcp_probe.
std::shared_ptr<address_probe> make_tcp_probe();

} // namespace presence::cluster

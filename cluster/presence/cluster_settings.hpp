#pragma once

// Preparing an actor system for the cluster and reading its settings. Like
// presence::configure, configure_cluster works on the config before the
// actor system exists and before `parse`, so that the command line and the
// INI file can still override every default:
//
//   presence::config cfg;
//   presence::configure_cluster(cfg);
//   if (auto err = cfg.parse(argc, argv)) ...
//   auto settings = presence::read_cluster_settings(cfg);
//   if (!settings) ... // a clear error per bad option
//   caf::actor_system sys{cfg};
//
// CAF 0.17's `cfg.set` cannot reach options of a nested category such as
// `presence.cluster` (it prints "invalid name" and drops the value): in code,
// write them into the config's content instead, e.g.
// `caf::put(cfg.content, "presence.cluster.name", "blue")`. The command line
// (`--presence.cluster.name=blue`) and the INI file (`[presence.cluster]`)
// work as usual.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

namespace presence {

/// A host and a port: a seed, or the address this node advertises.
struct peer_address {
  std::string host;
  uint16_t port = 0;
};

/// "host:port", with brackets around an IPv6 host.
std::string to_string(const peer_address& x);

/// Parses "host:port" or "[v6-host]:port". The port must be in [1, 65535];
/// with `port_optional`, "host" alone gives port 0. Fails with
/// `invalid_address`.
caf::expected<peer_address> parse_peer_address(const std::string& str,
                                               bool port_optional = false);

/// True for an address that only this host can reach: 127.0.0.0/8, ::1 and
/// "localhost".
bool is_loopback(const std::string& host);

/// Declares the `presence.cluster.*` options, loads CAF's middleman and
/// OpenSSL modules, registers the cluster's messages and error category, and
/// sets `middleman.heartbeat-interval` (500ms) and
/// `middleman.connection-timeout` (2s) unless the application set them
/// already. Call it once, before `parse`; the application must not load the
/// middleman or OpenSSL modules itself.
void configure_cluster(caf::actor_system_config& cfg);

/// The default cluster port.
constexpr uint16_t default_cluster_port = 7410;

/// The `presence.cluster.*` settings, validated.
struct cluster_settings {
  /// The cluster's name (`presence.cluster.name`, required): nodes of other
  /// clusters are refused.
  std::string name;
  /// This node's unique name (`presence.cluster.node-name`). Default: the
  /// advertised "host:port"; empty while the port is 0 (any free port) until
  /// effective_node_name learns the bound port.
  std::string node_name;
  /// The address the port binds (`presence.cluster.bind`, 127.0.0.1).
  std::string bind = "127.0.0.1";
  /// The port (`presence.cluster.port`); 0 takes any free port.
  uint16_t port = default_cluster_port;
  /// The address peers dial (`presence.cluster.advertise`, "host" or
  /// "host:port"). Default: the bind address, or the host name when the bind
  /// is a wildcard (0.0.0.0, ::). Port 0 means the bound port.
  peer_address advertise;
  /// Nodes to dial at start (`presence.cluster.seeds`, "host:port" each).
  std::vector<peer_address> seeds;
  /// Mutual TLS under the cluster's CA (`presence.cluster.tls`).
  bool tls = false;
  /// Allows a non-loopback bind without TLS, for networks where every host
  /// is trusted (`presence.cluster.insecure-network`).
  bool insecure_network = false;
  /// How long a request to a peer may take (`presence.cluster.request-timeout`).
  caf::timespan request_timeout = std::chrono::seconds(10);
  /// Largest batch sent to a peer in one message
  /// (`presence.cluster.max-batch-bytes`, 1 MiB).
  size_t max_batch_bytes = size_t{1} << 20;
  /// Bytes in flight to one peer before sending waits
  /// (`presence.cluster.peer-window-bytes`, 64 MiB).
  size_t peer_window_bytes = size_t{64} << 20;
  /// CAF's failure detection (`middleman.heartbeat-interval` and
  /// `middleman.connection-timeout`), as in force.
  caf::timespan heartbeat_interval{0};
  caf::timespan connection_timeout{0};

  /// node_name, or for the default name the advertised host and port, with
  /// `bound_port` where no port was configured.
  std::string effective_node_name(uint16_t bound_port) const;
};

/// BASP sizes a message's payload with 32 bits; a batch leaves room for its
/// headers below that.
constexpr size_t max_batch_bytes_limit = (size_t{1} << 32) - (size_t{1} << 16);

/// Reads and validates the settings from a parsed config. Fails with
/// `cluster_not_configured` without configure_cluster, `invalid_cluster_option`,
/// `invalid_address`, `insecure_bind`, `tls_incomplete` or
/// `invalid_heartbeat`; the context names the option and the rule.
caf::expected<cluster_settings>
read_cluster_settings(const caf::actor_system_config& cfg);

} // namespace presence

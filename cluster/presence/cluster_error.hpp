#pragma once

// The cluster's error category, beside presence's own (presence/error.hpp):
// the cluster is a library of its own, so single-node code never sees these
// codes. configure_cluster registers the category's text with the config.

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace presence {

enum class cluster_error : uint8_t {
  none = 0,
  /// The actor system's config was not prepared with
  /// `presence::configure_cluster`.
  cluster_not_configured,
  /// A `presence.cluster.*` value is missing, malformed or out of range.
  invalid_cluster_option,
  /// A seed or the advertised address is not `host:port`.
  invalid_address,
  /// The port would be reachable from other hosts without authentication: a
  /// non-loopback bind needs `presence.cluster.tls=true` or
  /// `presence.cluster.insecure-network=true`.
  insecure_bind,
  /// TLS is on but `openssl.certificate`, `openssl.key` or `openssl.cafile`
  /// is not set, or the file it names cannot be read.
  tls_incomplete,
  /// `middleman.heartbeat-interval` is 0 or `middleman.connection-timeout`
  /// is not above it: a silent peer would never be detected.
  invalid_heartbeat,
  /// A peer's host name did not resolve.
  unresolvable,
  /// A peer's address answered with a refusal (nothing listens there).
  connection_refused,
  /// A peer's address did not answer within the probe's timeout.
  probe_timeout,
  /// A peer's address is unreachable (no route, network down).
  unreachable,
  /// The middleman could not connect to a peer (its error is the context),
  /// or the TLS handshake was refused.
  connect_failed,
  /// A node refused to join with a peer: another cluster name, protocol
  /// version or heartbeat setting, a clash of node names, or itself.
  join_refused,
};

/// The atom that names the cluster's error category.
constexpr caf::atom_value cluster_error_category = caf::atom("pcluster");

std::string to_string(cluster_error x);

caf::error make_error(cluster_error x);

caf::error make_error(cluster_error x, std::string context);

/// True when `err` is `x` in the cluster's category.
bool is(const caf::error& err, cluster_error x);

/// Renders the cluster's errors as "presence::cluster::<name>: <description>
/// (<context>)" on any actor system, every other error as presence::render.
std::string render_cluster(const caf::error& err);

} // namespace presence

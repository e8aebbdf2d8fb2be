#pragma once

// The join: what two cluster actors say before either trusts the other. The
// dialing side sends its hello; the listening side checks it and answers
// with its own, which the dialing side checks the same way. Only then does
// either send its sessions. BASP has no hook before its own handshake
// (docs/design.md, "Forming a cluster"), so this is the first point where a
// node can refuse a peer; with TLS on, the peer proved its certificate
// before it got here.

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "cluster/conflict.hpp"

namespace presence::cluster {

/// Every node of a cluster runs one protocol version: a rolling upgrade
/// across versions is refused at the join (docs/design.md). 3: a removal in
/// a delta carries its key only. 4: a delta's ops and a chunk's sessions
/// cross as one field of packed bytes (cluster/wire_codec.cpp).
constexpr uint32_t protocol_version = 4;

/// Where a node listens, as it advertises itself to the others.
struct node_address {
  std::string node;
  std::string host;
  uint16_t port = 0;
  incarnation_id incarnation = 0;
};

bool operator==(const node_address& x, const node_address& y);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_address& x) {
  return f(caf::meta::type_name("presence::cluster::node_address"), x.node,
           x.host, x.port, x.incarnation);
}

struct hello {
  std::string cluster;
  uint32_t version = protocol_version;
  node_address self;
  /// CAF's middleman.heartbeat-interval and connection-timeout in
  /// milliseconds: heartbeats on one side only cause false disconnects, and
  /// different timeouts different detection times.
  int64_t heartbeat_ms = 0;
  int64_t connection_timeout_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hello& x) {
  return f(caf::meta::type_name("presence::cluster::hello"), x.cluster,
           x.version, x.self, x.heartbeat_ms, x.connection_timeout_ms);
}

/// Whether `mine` accepts `theirs`: the same cluster name, protocol version
/// and heartbeat settings, a valid node name and address other than this
/// node's, and a non-zero incarnation. The error names the mismatch with
/// both values (`join_refused`), for the log of the side that sees it.
caf::error check_hello(const hello& mine, const hello& theirs);

} // namespace presence::cluster

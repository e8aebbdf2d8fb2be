#include "cluster/handshake.hpp"

#include <tuple>

#include "presence/cluster_error.hpp"
#include "presence/error.hpp"
#include "presence/validation.hpp"

namespace presence::cluster {

bool operator==(const node_address& x, const node_address& y) {
  return std::tie(x.node, x.host, x.port, x.incarnation)
         == std::tie(y.node, y.host, y.port, y.incarnation);
}

namespace {

caf::error refuse(std::string what) {
  return make_error(cluster_error::join_refused, std::move(what));
}

template <class T>
std::string both(const T& mine, const T& theirs) {
  using std::to_string;
  return "ours " + to_string(mine) + ", theirs " + to_string(theirs);
}

std::string both(const std::string& mine, const std::string& theirs) {
  return "ours '" + mine + "', theirs '" + theirs + "'";
}

} // namespace

caf::error check_hello(const hello& mine, const hello& theirs) {
  // A peer's strings end up in logs and the membership list: the same
  // bounds as any identifier a caller passes.
  limits lim;
  if (theirs.cluster.size() > lim.max_id_size
      || !is_valid_utf8(theirs.cluster))
    return refuse("malformed cluster name");
  if (theirs.cluster != mine.cluster)
    return refuse("another cluster: " + both(mine.cluster, theirs.cluster));
  if (theirs.version != mine.version)
    return refuse("another protocol version (all nodes must run one): "
                  + both(mine.version, theirs.version));
  if (theirs.heartbeat_ms != mine.heartbeat_ms
      || theirs.connection_timeout_ms != mine.connection_timeout_ms)
    return refuse("other heartbeat settings "
                  "(middleman.heartbeat-interval / connection-timeout, ms): "
                  + both(mine.heartbeat_ms, theirs.heartbeat_ms) + " / "
                  + both(mine.connection_timeout_ms,
                         theirs.connection_timeout_ms));
  auto& peer = theirs.self;
  if (peer.node.empty() || peer.node.size() > lim.max_id_size
      || !is_valid_utf8(peer.node))
    return refuse("malformed node name");
  if (peer.host.empty() || peer.host.size() > lim.max_id_size
      || !is_valid_utf8(peer.host) || peer.port == 0)
    return refuse("malformed address of node '" + peer.node + "'");
  if (peer.incarnation == 0)
    return refuse("node '" + peer.node + "' has no incarnation");
  if (peer.node == mine.self.node)
    return refuse(peer.incarnation == mine.self.incarnation
                    ? "a connection to this node itself"
                    : "another node uses this node's name '" + peer.node
                        + "' (incarnation: "
                        + both(mine.self.incarnation, peer.incarnation)
                        + ")");
  return caf::none;
}

} // namespace presence::cluster

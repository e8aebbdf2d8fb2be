#pragma once

// Row C1: the main rows on a cluster node with one peer replicating, to
// compare with the same rows on a single node. Does nothing unless
// --bench-cluster-peer names the cluster benchmark's program.

#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "bench/options.hpp"
#include "presence/cluster_members.hpp"

namespace presence {
class online_manager;
} // namespace presence

namespace test {
class node_process;
} // namespace test

namespace bench {

class cluster_peer {
public:
  /// Starts this node's cluster and the peer, and waits until they joined.
  cluster_peer(const options& opts, caf::actor_system& sys,
               presence::online_manager& mgr, std::vector<std::string>& notes);

  /// Stops the cluster, then the peer.
  ~cluster_peer();

private:
  caf::actor_system& sys_;
  presence::cluster_actor node_;
  std::unique_ptr<test::node_process> peer_;
};

} // namespace bench

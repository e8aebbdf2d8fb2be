// A consumer of the installed cluster component (presence::cluster): prepares
// a config with configure_cluster, starts a one-node cluster on a free
// loopback port for a facade, lists its members and stops it.

#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/config_value.hpp>
#include <caf/scoped_actor.hpp>

#include "presence/cluster.hpp"
#include "presence/presence.hpp"

int main(int argc, char** argv) {
  caf::actor_system_config cfg;
  presence::configure(cfg);
  presence::configure_cluster(cfg);
  caf::put(cfg.content, "presence.cluster.name", "install-check");
  caf::put(cfg.content, "presence.cluster.node-name", "solo");
  caf::put(cfg.content, "presence.cluster.port", 0);
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "bad options: " << caf::to_string(err) << '\n';
    return 1;
  }
  caf::actor_system sys{cfg};
  presence::online_manager manager{sys};
  auto node = presence::start_cluster(sys, manager);
  if (!node) {
    std::cerr << "start_cluster: " << presence::render_cluster(node.error())
              << '\n';
    return 1;
  }
  caf::scoped_actor self{sys};
  bool listed = false;
  self->request(*node, std::chrono::seconds(10), presence::members_atom::value)
    .receive(
      [&](std::vector<presence::member_info>& xs) {
        listed = !xs.empty() && xs.front().node == "solo";
      },
      [&](caf::error& err) { std::cerr << sys.render(err) << '\n'; });
  presence::stop_cluster(sys, *node);
  if (!listed)
    return 1;
  std::cout << "Cluster node solo started and stopped\n";
  return 0;
}

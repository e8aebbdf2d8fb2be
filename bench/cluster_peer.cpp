#include "bench/cluster_peer.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "presence/cluster.hpp"
#include "presence/online_manager.hpp"
#include "processes/node_process.hpp"

namespace bench {

namespace {

/// Peers joined (up, or stale: behind its window, still linked).
size_t peers_up(caf::actor_system& sys, const presence::cluster_actor& node) {
  caf::scoped_actor self{sys};
  size_t n = 0;
  self->request(node, std::chrono::seconds(10), presence::members_atom::value)
    .receive(
      [&](std::vector<presence::member_info>& xs) {
        for (auto& x : xs)
          n += !x.self && x.state != presence::peer_state::down ? 1 : 0;
      },
      [](caf::error&) {});
  return n;
}

} // namespace

cluster_peer::cluster_peer(const options& opts, caf::actor_system& sys,
                           presence::online_manager& mgr,
                           std::vector<std::string>& notes)
  : sys_(sys) {
  if (opts.cluster_peer.empty())
    return;
  auto node = presence::start_cluster(sys, mgr);
  if (!node) {
    std::fprintf(stderr, "start_cluster: %s\n",
                 presence::render_cluster(node.error()).c_str());
    std::exit(1);
  }
  node_ = *node;
  uint16_t port = 0;
  {
    caf::scoped_actor self{sys};
    self->request(node_, std::chrono::seconds(10),
                  presence::members_atom::value)
      .receive(
        [&](std::vector<presence::member_info>& xs) { port = xs.front().port; },
        [](caf::error&) {});
  }
  std::vector<std::string> args{
    "node", "--presence.cluster.name=c1", "--presence.cluster.node-name=peer",
    "--presence.cluster.port=0",
    "--presence.cluster.seeds=[\"127.0.0.1:" + std::to_string(port) + "\"]"};
  if (!opts.cluster_peer_events)
    args.emplace_back("--events=0");
  peer_ = std::make_unique<test::node_process>(opts.cluster_peer,
                                               std::move(args));
  while (peers_up(sys, node_) == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  notes.push_back("C1: this node replicates to one peer (a process of "
                  + opts.cluster_peer + (opts.cluster_peer_events
                                           ? ", subscribed to events)"
                                           : ", no event subscriber)"));
}

cluster_peer::~cluster_peer() {
  if (node_)
    presence::stop_cluster(sys_, node_);
  peer_.reset();
}

} // namespace bench

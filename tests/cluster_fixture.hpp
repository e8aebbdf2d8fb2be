#pragma once

// A cluster node for tests that run several in one process: an actor system
// prepared with configure_cluster, a real facade (and, if asked, an
// in-memory pusher), started with start_cluster on a free loopback port.
// Plus the queries every cluster test asks of a node's handle.

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "presence/cluster.hpp"
#include "presence/config.hpp"
#include "presence/in_memory_pusher.hpp"
#include "presence/online_manager.hpp"

namespace test {

/// The node's members (this node first), or none if it does not answer.
template <class Handle>
std::vector<presence::member_info> members_of(caf::actor_system& sys,
                                              const Handle& node) {
  caf::scoped_actor self{sys};
  std::vector<presence::member_info> result;
  self->request(node, std::chrono::seconds(10), presence::members_atom::value)
    .receive([&](std::vector<presence::member_info>& xs) {
               result = std::move(xs);
             },
             [&](caf::error&) {});
  return result;
}

/// Peers the node has an up link to.
template <class Handle>
size_t up_peers_of(caf::actor_system& sys, const Handle& node) {
  size_t n = 0;
  for (auto& m : members_of(sys, node))
    n += !m.self && m.state == presence::peer_state::up ? 1 : 0;
  return n;
}

/// The node's view digest, or 0 if it does not answer.
template <class Handle>
uint64_t digest_of(caf::actor_system& sys, const Handle& node) {
  caf::scoped_actor self{sys};
  uint64_t result = 0;
  self->request(node, std::chrono::seconds(10), presence::digest_atom::value)
    .receive([&](uint64_t x) { result = x; }, [&](caf::error&) {});
  return result;
}

struct cluster_node {
  /// Certificates for mutual TLS: none (plain BASP), the cluster's CA's.
  enum class tls { off, cluster };

  struct options {
    tls mode = tls::off;
    /// An in-memory pusher registered with the facade.
    bool with_pusher = false;
    /// `presence.pusher-timeout`, if set.
    caf::timespan pusher_timeout{0};
    /// More settings, applied last, before the system starts (e.g. a
    /// configured login policy, a tiny window).
    std::function<void(caf::actor_system_config&)> more = nullptr;
  };

  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<presence::online_manager> manager;
  std::unique_ptr<presence::in_memory_pusher> pusher;
  presence::cluster_actor node;
  uint16_t port = 0;

  cluster_node(const std::string& name, std::vector<uint16_t> seeds,
               options opts);

  cluster_node(const std::string& name, std::vector<uint16_t> seeds)
    : cluster_node(name, std::move(seeds), options{}) {
  }

  ~cluster_node() {
    stop();
    pusher.reset();
    manager.reset();
  }

  /// Leaves the cluster (stop_cluster); the facade stays.
  void stop() {
    if (node)
      presence::stop_cluster(*sys, node);
    node = nullptr;
  }

  std::vector<presence::member_info> members() {
    return members_of(*sys, node);
  }

  size_t up_peers() {
    return up_peers_of(*sys, node);
  }

  /// The node's members and counters in one line, for a failed wait.
  std::string describe();

  uint64_t digest() {
    return digest_of(*sys, node);
  }

  bool online(const std::string& login) {
    auto x = manager->is_online(login);
    return x && *x;
  }

  size_t sessions_of(const std::string& login) {
    auto xs = manager->get_user_sessions(login);
    return xs ? xs->size() : 0;
  }

  /// The nodes of the user's sessions, sorted, as this node sees them.
  std::vector<std::string> nodes_of(const std::string& login) {
    std::vector<std::string> result;
    if (auto xs = manager->get_user_sessions(login))
      for (auto& s : *xs)
        result.push_back(s.node);
    std::sort(result.begin(), result.end());
    return result;
  }

  /// What this node's pusher delivered to `login`.
  std::vector<presence::push_message> got(const std::string& login) {
    auto xs = pusher->get_messages(login);
    return xs ? *xs : std::vector<presence::push_message>{};
  }
};

} // namespace test

// start_cluster: binds the port, starts the cluster actor, and keeps a
// supervisor beside it that replaces a cluster actor killed from outside.
// The supervisor is never published and its handle never leaves this node,
// so no peer can reach it.

#include "presence/cluster_node.hpp"

#include <random>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/cluster_actor.hpp"
#include "cluster/dialer.hpp"
#include "cluster/publish_endpoint.hpp"
#include "presence/cluster_error.hpp"
#include "presence/cluster_settings.hpp"
#include "presence/config.hpp"
#include "presence/error.hpp"
#include "presence/online_manager.hpp"

namespace presence {

namespace {

using cluster::cluster_config;

/// Random, and never 0 (which marks "no incarnation" on the wire).
uint64_t new_incarnation() {
  std::random_device rd;
  std::mt19937_64 gen{(uint64_t{rd()} << 32) ^ rd()};
  uint64_t x = 0;
  while (x == 0)
    x = gen();
  return x;
}

cluster::dial_function make_dial(caf::actor_system& sys, bool tls) {
  return [&sys, tls](caf::actor self, uint64_t attempt, std::string host,
                     uint16_t port) {
    cluster::dial_request req;
    req.peer = peer_address{std::move(host), port};
    req.tls = tls;
    req.attempt = attempt;
    cluster::dial(sys, self, std::move(req));
  };
}

/// A running cluster actor and the port it listens on.
struct running_node {
  caf::actor actor;
  uint16_t port = 0;
};

/// Spawns, publishes and starts a cluster actor with a new incarnation.
/// Blocks while publishing.
caf::expected<running_node> launch(caf::actor_system& sys,
                                   const caf::actor& registry,
                                   cluster_settings s) {
  cluster_config cfg;
  cfg.cluster = s.name;
  cfg.self.incarnation = new_incarnation();
  for (auto& seed : s.seeds)
    cfg.seeds.emplace_back(seed.host, seed.port);
  cfg.request_timeout = s.request_timeout;
  cfg.max_batch_bytes = s.max_batch_bytes;
  cfg.peer_window_bytes = s.peer_window_bytes;
  cfg.heartbeat_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       s.heartbeat_interval)
                       .count();
  cfg.connection_timeout_ms
    = std::chrono::duration_cast<std::chrono::milliseconds>(
        s.connection_timeout)
        .count();
  if (auto node_settings = read_settings(sys)) {
    cfg.lim = node_settings->input_limits();
    cfg.pusher_timeout = node_settings->pusher_timeout;
  }
  // The port is known once bound: the actor learns it (and its name, which
  // may include it) before it does anything else.
  auto actor = cluster::spawn_cluster_actor(sys, registry, cfg,
                                            make_dial(sys, s.tls));
  auto port = cluster::publish_endpoint(sys, actor, s);
  if (!port) {
    caf::scoped_actor self{sys};
    self->send_exit(actor, caf::exit_reason::user_shutdown);
    return std::move(port.error());
  }
  caf::scoped_actor self{sys};
  auto advertised = s.advertise.port != 0 ? s.advertise.port : *port;
  caf::error failure;
  self
    ->request(actor, s.request_timeout, cluster::start_atom::value,
              s.effective_node_name(*port), s.advertise.host, advertised)
    .receive([](bool) {}, [&](caf::error& err) { failure = std::move(err); });
  if (failure) {
    cluster::close_endpoint(sys, actor, *port, s.tls);
    self->send_exit(actor, caf::exit_reason::user_shutdown);
    return failure;
  }
  return running_node{std::move(actor), *port};
}

struct supervisor_state {
  static inline const char* name = "presence.cluster.supervisor";
  cluster_settings settings;
  caf::actor registry;
  running_node node;
  uint64_t restarts = 0;
};

using supervisor_pointer = caf::stateful_actor<supervisor_state>*;

using relaunch_atom = caf::atom_constant<caf::atom("pRelaunch")>;

/// How often and how far apart a relaunch that the registry refused is
/// tried again (see relaunch).
constexpr int max_relaunch_attempts = 40;
constexpr auto relaunch_delay = std::chrono::milliseconds(25);

/// A cluster actor was killed from outside: a new incarnation takes over the
/// same port (published with address reuse). The registry monitors the old
/// actor too and may not have handled its down message yet, so it can still
/// refuse the new one with cluster_already_attached: then this tries again
/// shortly, a bounded number of times.
void relaunch(supervisor_pointer self, int attempt) {
  auto& st = self->state;
  auto s = st.settings;
  s.port = st.node.port;
  auto next = launch(self->system(), st.registry, s);
  if (!next) {
    if (next.error() == make_error(error::cluster_already_attached)
        && attempt < max_relaunch_attempts) {
      self->delayed_send(self, relaunch_delay, relaunch_atom::value,
                         attempt + 1);
      return;
    }
    self->quit(next.error());
    return;
  }
  ++st.restarts;
  st.node = std::move(*next);
  self->monitor(st.node.actor);
}

caf::behavior supervisor(supervisor_pointer self, cluster_settings settings,
                         caf::actor registry, running_node node) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.registry = std::move(registry);
  st.node = std::move(node);
  self->monitor(st.node.actor);
  self->monitor(st.registry);
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    self->demonitor(st.node.actor);
    self->send_exit(st.node.actor, msg.reason);
    cluster::close_endpoint(self->system(), st.node.actor, st.node.port,
                            st.settings.tls);
    self->quit(msg.reason);
  });
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.registry.address()) {
      cluster::close_endpoint(self->system(), st.node.actor, st.node.port,
                              st.settings.tls);
      self->quit(dm.reason);
      return;
    }
    if (dm.source != st.node.actor.address())
      return;
    cluster::close_endpoint(self->system(), st.node.actor, st.node.port,
                            st.settings.tls);
    if (dm.reason != caf::exit_reason::kill) {
      // It stopped by itself (its registry refused it, or went away).
      self->quit(dm.reason);
      return;
    }
    relaunch(self, 1);
  });
  return {
    [=](relaunch_atom, int attempt) {
      if (self->current_sender() == self->ctrl())
        relaunch(self, attempt);
    },
    [=](members_atom x) { return self->delegate(self->state.node.actor, x); },
    [=](digest_atom x) { return self->delegate(self->state.node.actor, x); },
    [=](stats_atom x) { return self->delegate(self->state.node.actor, x); },
  };
}

} // namespace

caf::expected<cluster_actor> start_cluster(caf::actor_system& sys,
                                           const registry_actor& registry) {
  if (!registry)
    return caf::make_error(caf::sec::invalid_argument,
                           "start_cluster: no registry");
  auto s = read_cluster_settings(sys.config());
  if (!s)
    return std::move(s.error());
  auto reg = caf::actor_cast<caf::actor>(registry);
  auto node = launch(sys, reg, *s);
  if (!node)
    return std::move(node.error());
  // Detached: restarting publishes again, which blocks.
  auto sup = sys.spawn<caf::detached>(supervisor, std::move(*s), reg,
                                      std::move(*node));
  return caf::actor_cast<cluster_actor>(sup);
}

caf::expected<cluster_actor> start_cluster(caf::actor_system& sys,
                                           online_manager& manager) {
  if (auto err = manager.status())
    return err;
  return start_cluster(sys, manager.registry());
}

void stop_cluster(caf::actor_system& sys, const cluster_actor& node) {
  if (!node)
    return;
  caf::scoped_actor self{sys};
  self->monitor(node);
  self->send_exit(node, caf::exit_reason::user_shutdown);
  self->receive([](caf::down_msg&) {});
}

} // namespace presence

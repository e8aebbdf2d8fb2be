#include "cluster_fixture.hpp"

#include <catch2/catch.hpp>

namespace test {

cluster_node::cluster_node(const std::string& name,
                           std::vector<uint16_t> seeds, options opts) {
  presence::configure(cfg);
  presence::configure_cluster(cfg);
  caf::put(cfg.content, "presence.cluster.name", "test");
  caf::put(cfg.content, "presence.cluster.node-name", name);
  caf::put(cfg.content, "presence.cluster.port", 0);
  if (opts.pusher_timeout.count() > 0)
    caf::put(cfg.content, "presence.pusher-timeout", opts.pusher_timeout);
  std::vector<std::string> xs;
  for (auto p : seeds)
    xs.push_back("127.0.0.1:" + std::to_string(p));
  caf::put(cfg.content, "presence.cluster.seeds", xs);
  if (opts.mode == tls::cluster) {
    std::string d = PRESENCE_TEST_CERT_DIR;
    caf::put(cfg.content, "presence.cluster.tls", true);
    cfg.set("openssl.certificate", d + "/node.pem");
    cfg.set("openssl.key", d + "/node.key");
    cfg.set("openssl.cafile", d + "/cluster-ca.pem");
  }
  // Several nodes run in one process: two workers each.
  cfg.set("scheduler.max-threads", 2);
  if (opts.more)
    opts.more(cfg);
  sys = std::make_unique<caf::actor_system>(cfg);
  manager = std::make_unique<presence::online_manager>(*sys);
  if (opts.with_pusher) {
    pusher = std::make_unique<presence::in_memory_pusher>(*sys);
    REQUIRE(manager->register_pusher(*pusher).get());
  }
  auto started = presence::start_cluster(*sys, *manager);
  if (!started)
    FAIL(presence::render_cluster(started.error()));
  node = *started;
  auto ms = members();
  REQUIRE(!ms.empty());
  port = ms.front().port;
}

std::string cluster_node::describe() {
  std::string out;
  for (auto& m : members()) {
    out += m.self ? "[" : " ";
    out += m.node + "@" + std::to_string(m.port) + " #"
           + std::to_string(m.incarnation) + " " + to_string(m.state)
           + " lag " + std::to_string(m.lag);
    out += m.self ? "]" : ";";
  }
  caf::scoped_actor self{*sys};
  self->request(node, std::chrono::seconds(10), presence::stats_atom::value)
    .receive(
      [&](presence::cluster_counters& c) {
        out += " dropped " + std::to_string(c.dropped) + ", refused "
               + std::to_string(c.refused) + ", ignored "
               + std::to_string(c.ignored);
      },
      [&](caf::error& err) { out += " no stats: " + caf::to_string(err); });
  return out;
}

} // namespace test

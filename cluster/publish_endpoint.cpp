#include "cluster/publish_endpoint.hpp"

#include <caf/io/middleman.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/function_view.hpp>
#include <caf/openssl/manager.hpp>

#include "presence/cluster_error.hpp"

namespace presence::cluster {

caf::expected<uint16_t> publish_endpoint(caf::actor_system& sys,
                                         const caf::actor& gatekeeper,
                                         const cluster_settings& s) {
  if (!is_loopback(s.bind) && !s.tls && !s.insecure_network)
    return make_error(cluster_error::insecure_bind,
                      "presence.cluster.bind=" + s.bind + " is not loopback");
  if (!sys.has_middleman() || (s.tls && !sys.has_openssl_manager()))
    return make_error(cluster_error::cluster_not_configured,
                      "the middleman or OpenSSL module is not loaded");
  if (s.tls)
    return caf::openssl::publish(gatekeeper, s.port, s.bind.c_str(), true);
  return sys.middleman().publish(gatekeeper, s.port, s.bind.c_str(), true);
}

caf::error close_endpoint(caf::actor_system& sys, const caf::actor& gatekeeper,
                          uint16_t port, bool tls) {
  if (!sys.has_middleman() || (tls && !sys.has_openssl_manager()))
    return make_error(cluster_error::cluster_not_configured,
                      "the middleman or OpenSSL module is not loaded");
  if (!tls) {
    auto res = sys.middleman().unpublish(gatekeeper, port);
    return res ? caf::none : std::move(res.error());
  }
  // CAF 0.17.6's caf::openssl::unpublish does not compile (it leaves out the
  // actor's address): ask the OpenSSL manager's actor as it would.
  auto f = caf::make_function_view(sys.openssl_manager().actor_handle());
  auto res = f(caf::unpublish_atom::value, gatekeeper.address(), port);
  return res ? caf::none : std::move(res.error());
}

} // namespace presence::cluster

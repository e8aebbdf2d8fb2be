#include "presence/cluster_error.hpp"

#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "presence/error.hpp"

namespace presence {

std::string to_string(cluster_error x) {
  switch (x) {
    case cluster_error::none:
      return "none";
    case cluster_error::cluster_not_configured:
      return "cluster_not_configured: the actor system's config was not "
             "prepared with presence::configure_cluster";
    case cluster_error::invalid_cluster_option:
      return "invalid_cluster_option: a presence.cluster.* option is "
             "missing, malformed or out of range";
    case cluster_error::invalid_address:
      return "invalid_address: an address is not host:port";
    case cluster_error::insecure_bind:
      return "insecure_bind: a non-loopback bind needs presence.cluster.tls "
             "or presence.cluster.insecure-network";
    case cluster_error::tls_incomplete:
      return "tls_incomplete: TLS needs readable openssl.certificate, "
             "openssl.key and openssl.cafile";
    case cluster_error::invalid_heartbeat:
      return "invalid_heartbeat: middleman.heartbeat-interval must be "
             "positive and middleman.connection-timeout above it";
    case cluster_error::unresolvable:
      return "unresolvable: the peer's host name does not resolve";
    case cluster_error::connection_refused:
      return "connection_refused: nothing listens at the peer's address";
    case cluster_error::probe_timeout:
      return "probe_timeout: the peer's address did not answer in time";
    case cluster_error::unreachable:
      return "unreachable: the peer's address cannot be reached";
    case cluster_error::connect_failed:
      return "connect_failed: the middleman could not connect to the peer";
    case cluster_error::join_refused:
      return "join_refused: a cluster node refused to join with a peer";
  }
  return "unknown cluster error";
}

caf::error make_error(cluster_error x) {
  return caf::error{static_cast<uint8_t>(x), cluster_error_category};
}

caf::error make_error(cluster_error x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), cluster_error_category,
                    caf::make_message(std::move(context))};
}

bool is(const caf::error& err, cluster_error x) {
  return err && err.category() == cluster_error_category
         && err.code() == static_cast<uint8_t>(x);
}

std::string render_cluster(const caf::error& err) {
  if (!err || err.category() != cluster_error_category)
    return render(err);
  auto str = "presence::cluster::"
             + to_string(static_cast<cluster_error>(err.code()));
  auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    str += " (" + ctx.get_as<std::string>(0) + ")";
  else if (!ctx.empty())
    str += " " + caf::to_string(ctx);
  return str;
}

} // namespace presence

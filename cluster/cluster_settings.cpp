#include "presence/cluster_settings.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>

#include <caf/config_option_adder.hpp>
#include <caf/config_value.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/settings.hpp>

#include "cluster/type_ids.hpp"
#include "presence/cluster_error.hpp"
#include "presence/error.hpp"

namespace presence {

namespace {

// custom_options_ is protected and CAF 0.17 offers no accessor (as in
// libpresence's config.cpp).
struct options_access : caf::actor_system_config {
  static constexpr auto member = &options_access::custom_options_;
};

// CAF 0.17's qualified_name_lookup splits at the first dot, so it never
// finds an option of the nested category "presence.cluster".
bool declared(const caf::config_option_set& opts) {
  for (auto& opt : opts)
    if (opt.category() == "presence.cluster" && opt.long_name() == "name")
      return true;
  return false;
}

caf::error bad_option(std::string what) {
  return make_error(cluster_error::invalid_cluster_option, std::move(what));
}

// A value of the wrong type would be silently ignored by caf::get_or: it
// is an error here.
template <class T>
caf::expected<T> read(const caf::actor_system_config& cfg, const char* key,
                      T fallback, const char* what) {
  auto cv = caf::get_if(&cfg.content, key);
  if (cv == nullptr)
    return fallback;
  if (auto x = caf::get_if<T>(cv))
    return *x;
  return bad_option(std::string{key} + " must be " + what);
}

// A name shows up in logs and on the wire: printable, no spaces, bounded.
bool valid_name(const std::string& str) {
  if (str.empty() || str.size() > 255)
    return false;
  for (unsigned char c : str)
    if (c <= 0x20 || c == 0x7f)
      return false;
  return true;
}

bool is_wildcard(const std::string& host) {
  return host == "0.0.0.0" || host == "::";
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0')
    return "localhost";
  return buf;
}

caf::error check_file(const char* key, const std::string& path) {
  if (path.empty())
    return make_error(cluster_error::tls_incomplete,
                      std::string{key} + " must be set when "
                        "presence.cluster.tls is on");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)
      || !std::ifstream{path}.good())
    return make_error(cluster_error::tls_incomplete,
                      std::string{key} + ": cannot read '" + path + "'");
  return caf::none;
}

// parse_peer_address's errors carry one string.
caf::error with_prefix(const caf::error& err, const std::string& prefix) {
  auto& ctx = err.context();
  auto what = ctx.match_elements<std::string>() ? ctx.get_as<std::string>(0)
                                                : std::string{};
  return make_error(cluster_error::invalid_address, prefix + what);
}

} // namespace

std::string to_string(const peer_address& x) {
  auto port = std::to_string(x.port);
  if (x.host.find(':') != std::string::npos)
    return "[" + x.host + "]:" + port;
  return x.host + ":" + port;
}

caf::expected<peer_address> parse_peer_address(const std::string& str,
                                               bool port_optional) {
  auto fail = [&](const char* why) {
    return make_error(cluster_error::invalid_address,
                      "'" + str + "': " + why);
  };
  peer_address result;
  std::string port_str;
  bool has_port = false;
  if (!str.empty() && str[0] == '[') {
    auto close = str.find(']');
    if (close == std::string::npos)
      return fail("missing ']' after an IPv6 host");
    result.host = str.substr(1, close - 1);
    if (close + 1 < str.size()) {
      if (str[close + 1] != ':')
        return fail("expected ':' after ']'");
      port_str = str.substr(close + 2);
      has_port = true;
    }
  } else {
    auto colon = str.rfind(':');
    if (colon != std::string::npos
        && str.find(':') != colon)
      return fail("an IPv6 host needs brackets: [host]:port");
    if (colon == std::string::npos) {
      result.host = str;
    } else {
      result.host = str.substr(0, colon);
      port_str = str.substr(colon + 1);
      has_port = true;
    }
  }
  if (result.host.empty())
    return fail("the host is empty");
  for (unsigned char c : result.host)
    if (c <= 0x20 || c == 0x7f || c == '/' || c == '[' || c == ']')
      return fail("the host has an invalid character");
  if (!has_port) {
    if (port_optional)
      return result;
    return fail("expected host:port");
  }
  if (port_str.empty() || port_str.size() > 5)
    return fail("the port must be a number in [1, 65535]");
  uint32_t port = 0;
  for (char c : port_str) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return fail("the port must be a number in [1, 65535]");
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port == 0 || port > 65535)
    return fail("the port must be a number in [1, 65535]");
  result.port = static_cast<uint16_t>(port);
  return result;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost")
    return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

void configure_cluster(caf::actor_system_config& cfg) {
  auto& opts = cfg.*options_access::member;
  // Twice would load the modules twice.
  if (declared(opts))
    return;
  caf::config_option_adder{opts, "presence.cluster"}
    .add<std::string>("name", "the cluster's name, the same on every node "
                              "(required)")
    .add<std::string>("node-name", "this node's unique name (default: the "
                                   "advertised host:port)")
    .add<std::string>("bind", "address the cluster port binds (127.0.0.1)")
    .add<int64_t>("port", "the cluster port, 0 = any free port (7410)")
    .add<std::string>("advertise", "host or host:port peers dial (default: "
                                   "the bind address or the host name)")
    .add<std::vector<std::string>>("seeds", "nodes to dial, host:port each")
    .add<bool>("tls", "mutual TLS under openssl.cafile's CA, with "
                      "openssl.certificate and openssl.key (false)")
    .add<bool>("insecure-network", "allow a non-loopback bind without TLS "
                                   "(false)")
    .add<caf::timespan>("request-timeout", "time a request to a peer may "
                                           "take (10s)")
    .add<int64_t>("max-batch-bytes", "largest batch to a peer (1 MiB)")
    .add<int64_t>("peer-window-bytes", "bytes in flight to one peer "
                                       "(64 MiB)");
  // Without heartbeats CAF never notices a silent peer (CAF's defaults are
  // 0): measured, 500ms / 2s detects one in 2.0-2.5 s.
  if (caf::get_if(&cfg.content, "middleman.heartbeat-interval") == nullptr)
    cfg.set("middleman.heartbeat-interval",
            caf::timespan{std::chrono::milliseconds(500)});
  if (caf::get_if(&cfg.content, "middleman.connection-timeout") == nullptr)
    cfg.set("middleman.connection-timeout",
            caf::timespan{std::chrono::seconds(2)});
  // CAF 0.17.6's BASP workers (middleman.workers) sometimes deliver the
  // first message over a new connection with no sender when two nodes
  // connect to one at once: the hello cannot be answered and the join waits
  // out request-timeout. With 0 the middleman's thread deserializes
  // (docs/design.md, "No BASP workers", has the measurements).
  if (caf::get_if(&cfg.content, "middleman.workers") == nullptr)
    cfg.set("middleman.workers", size_t{0});
  cfg.load<caf::io::middleman>();
  cfg.load<caf::openssl::manager>();
  cluster::register_types(cfg);
  cfg.add_error_category(cluster_error_category,
                         [](uint8_t code, caf::atom_value category,
                            const caf::message& ctx) {
                           return render_cluster(
                             caf::error{code, category, ctx});
                         });
}

std::string cluster_settings::effective_node_name(uint16_t bound_port) const {
  if (!node_name.empty())
    return node_name;
  peer_address addr = advertise;
  if (addr.port == 0)
    addr.port = bound_port;
  return to_string(addr);
}

caf::expected<cluster_settings>
read_cluster_settings(const caf::actor_system_config& cfg) {
  if (!declared(cfg.*options_access::member))
    return make_error(cluster_error::cluster_not_configured,
                      "call presence::configure_cluster before parse");
  cluster_settings result;
#define PRESENCE_READ(var, key, type, fallback, what)                          \
  auto var##_v = read<type>(cfg, key, fallback, what);                         \
  if (!var##_v)                                                                \
    return std::move(var##_v.error());                                         \
  auto var = std::move(*var##_v);
  PRESENCE_READ(name, "presence.cluster.name", std::string, std::string{},
                "a string")
  PRESENCE_READ(node_name, "presence.cluster.node-name", std::string,
                std::string{}, "a string")
  PRESENCE_READ(bind, "presence.cluster.bind", std::string, result.bind,
                "a string")
  PRESENCE_READ(port, "presence.cluster.port", int64_t,
                int64_t{default_cluster_port}, "an integer")
  PRESENCE_READ(advertise, "presence.cluster.advertise", std::string,
                std::string{}, "a string")
  PRESENCE_READ(seeds, "presence.cluster.seeds", std::vector<std::string>,
                std::vector<std::string>{}, "a list of host:port strings")
  PRESENCE_READ(tls, "presence.cluster.tls", bool, false, "a boolean")
  PRESENCE_READ(insecure, "presence.cluster.insecure-network", bool, false,
                "a boolean")
  PRESENCE_READ(request_timeout, "presence.cluster.request-timeout",
                caf::timespan, result.request_timeout, "a duration")
  PRESENCE_READ(batch, "presence.cluster.max-batch-bytes", int64_t,
                static_cast<int64_t>(result.max_batch_bytes), "an integer")
  PRESENCE_READ(window, "presence.cluster.peer-window-bytes", int64_t,
                static_cast<int64_t>(result.peer_window_bytes), "an integer")
  PRESENCE_READ(heartbeat, "middleman.heartbeat-interval", caf::timespan,
                caf::timespan{0}, "a duration")
  PRESENCE_READ(conn_timeout, "middleman.connection-timeout", caf::timespan,
                caf::timespan{0}, "a duration")
#undef PRESENCE_READ
  if (name.empty())
    return bad_option("presence.cluster.name must be set: every node of a "
                      "cluster uses the same name");
  if (!valid_name(name))
    return bad_option("presence.cluster.name must be 1 to 255 printable "
                      "characters without spaces");
  result.name = std::move(name);
  if (port < 0 || port > 65535)
    return bad_option("presence.cluster.port must be in [0, 65535], got "
                      + std::to_string(port));
  result.port = static_cast<uint16_t>(port);
  if (bind.empty())
    return bad_option("presence.cluster.bind must not be empty (0.0.0.0 "
                      "binds every interface)");
  for (unsigned char c : bind)
    if (c <= 0x20 || c == 0x7f)
      return bad_option("presence.cluster.bind has an invalid character");
  result.bind = std::move(bind);
  result.tls = tls;
  result.insecure_network = insecure;
  // Plain BASP authenticates nobody: whoever reaches the port is a peer.
  if (!is_loopback(result.bind) && !tls && !insecure)
    return make_error(cluster_error::insecure_bind,
                      "presence.cluster.bind=" + result.bind
                        + " is not loopback: set presence.cluster.tls=true "
                          "(with openssl.certificate, key and cafile) or "
                          "presence.cluster.insecure-network=true");
  if (tls) {
    // Without all three CAF falls back to an anonymous cipher: encrypted,
    // but nobody is authenticated.
    if (auto err = check_file("openssl.certificate", cfg.openssl_certificate))
      return err;
    if (auto err = check_file("openssl.key", cfg.openssl_key))
      return err;
    if (auto err = check_file("openssl.cafile", cfg.openssl_cafile))
      return err;
  }
  if (advertise.empty()) {
    result.advertise.host = is_wildcard(result.bind) ? host_name()
                                                     : result.bind;
  } else {
    auto addr = parse_peer_address(advertise, true);
    if (!addr)
      return with_prefix(addr.error(), "presence.cluster.advertise: ");
    result.advertise = std::move(*addr);
  }
  for (size_t i = 0; i < seeds.size(); ++i) {
    auto addr = parse_peer_address(seeds[i]);
    if (!addr)
      return with_prefix(addr.error(), "presence.cluster.seeds["
                                         + std::to_string(i) + "]: ");
    result.seeds.push_back(std::move(*addr));
  }
  if (!node_name.empty() && !valid_name(node_name))
    return bad_option("presence.cluster.node-name must be 1 to 255 "
                      "printable characters without spaces");
  result.node_name = std::move(node_name);
  if (result.node_name.empty() && result.port != 0)
    result.node_name = result.effective_node_name(result.port);
  if (request_timeout.count() <= 0)
    return bad_option("presence.cluster.request-timeout must be positive");
  result.request_timeout = request_timeout;
  if (batch <= 0 || static_cast<uint64_t>(batch) > max_batch_bytes_limit)
    return bad_option("presence.cluster.max-batch-bytes must be in [1, "
                      + std::to_string(max_batch_bytes_limit)
                      + "] (BASP's payload size is 32 bits)");
  result.max_batch_bytes = static_cast<size_t>(batch);
  if (window <= 0 || static_cast<size_t>(window) < result.max_batch_bytes
      || window > (int64_t{1} << 40))
    return bad_option("presence.cluster.peer-window-bytes must be at least "
                      "presence.cluster.max-batch-bytes and at most 1 TiB");
  result.peer_window_bytes = static_cast<size_t>(window);
  // A zero interval or a timeout at or below it would never detect a
  // silent peer, or would drop healthy ones between two heartbeats.
  if (heartbeat.count() <= 0)
    return make_error(cluster_error::invalid_heartbeat,
                      "middleman.heartbeat-interval must be positive: "
                      "without heartbeats a silent peer is never detected");
  if (conn_timeout <= heartbeat)
    return make_error(cluster_error::invalid_heartbeat,
                      "middleman.connection-timeout must be above "
                      "middleman.heartbeat-interval");
  result.heartbeat_interval = heartbeat;
  result.connection_timeout = conn_timeout;
  return result;
}

} // namespace presence

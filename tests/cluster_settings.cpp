// The cluster's options: defaults, the heartbeat defaults and an
// application's own values, the command line and INI file, each bad option's
// error, addresses, error rendering, and the dial backoff.

#include <fstream>
#include <sstream>

#include "test_util.hpp"

#include "cluster/backoff.hpp"
#include "presence/cluster.hpp"

// A namespace per test file: the tests build in unity batches.
namespace cluster_settings_tests {

using namespace presence;
using namespace std::chrono_literals;

namespace {

std::string cert_dir() {
  return PRESENCE_TEST_CERT_DIR;
}

bool contains(const std::string& str, const std::string& part) {
  return str.find(part) != std::string::npos;
}

std::string context_of(const caf::error& err) {
  auto& ctx = err.context();
  return ctx.match_elements<std::string>() ? ctx.get_as<std::string>(0)
                                           : caf::to_string(ctx);
}

// CAF 0.17's cfg.set cannot reach the nested category presence.cluster.
template <class T>
void put_option(caf::actor_system_config& cfg, const std::string& key, T value) {
  if constexpr (std::is_same<T, std::vector<std::string>>::value) {
    caf::config_value::list xs;
    for (auto& x : value)
      xs.emplace_back(x);
    caf::put(cfg.content, key, std::move(xs));
  } else if constexpr (std::is_same<T, const char*>::value) {
    caf::put(cfg.content, key, std::string{value});
  } else if constexpr (std::is_integral<T>::value
                       && !std::is_same<T, bool>::value) {
    caf::put(cfg.content, key, static_cast<int64_t>(value));
  } else {
    caf::put(cfg.content, key, std::move(value));
  }
}

// A prepared config with a cluster name, then the test's own settings.
caf::expected<cluster_settings>
read_with(const std::function<void(caf::actor_system_config&)>& f) {
  caf::actor_system_config cfg;
  configure_cluster(cfg);
  put_option(cfg, "presence.cluster.name", "test");
  if (f)
    f(cfg);
  return read_cluster_settings(cfg);
}

void set_certs(caf::actor_system_config& cfg) {
  cfg.set("openssl.certificate", cert_dir() + "/node.pem");
  cfg.set("openssl.key", cert_dir() + "/node.key");
  cfg.set("openssl.cafile", cert_dir() + "/cluster-ca.pem");
}

} // namespace

TEST_CASE("cluster settings have documented defaults",
          "[cluster-endpoint][cluster-settings]") {
  auto s = test::ok(read_with(nullptr));
  CHECK(s.name == "test");
  CHECK(s.bind == "127.0.0.1");
  CHECK(s.port == default_cluster_port);
  CHECK(s.advertise.host == "127.0.0.1");
  CHECK(s.advertise.port == 0);
  CHECK(s.node_name == "127.0.0.1:" + std::to_string(default_cluster_port));
  CHECK(s.seeds.empty());
  CHECK_FALSE(s.tls);
  CHECK_FALSE(s.insecure_network);
  CHECK(s.request_timeout == caf::timespan{10s});
  CHECK(s.max_batch_bytes == size_t{1} << 20);
  CHECK(s.peer_window_bytes == size_t{64} << 20);
  CHECK(s.heartbeat_interval == caf::timespan{500ms});
  CHECK(s.connection_timeout == caf::timespan{2s});
}

TEST_CASE("configure_cluster turns BASP workers off unless the application "
          "set them",
          "[cluster-endpoint][cluster-settings]") {
  // docs/design.md, "No BASP workers".
  caf::actor_system_config cfg;
  configure_cluster(cfg);
  CHECK(caf::get_or(cfg.content, "middleman.workers", size_t{99}) == 0);
  caf::actor_system_config own;
  own.set("middleman.workers", size_t{2});
  configure_cluster(own);
  CHECK(caf::get_or(own.content, "middleman.workers", size_t{99}) == 2);
}

TEST_CASE("configure_cluster keeps an application's heartbeat values",
          "[cluster-endpoint][cluster-settings]") {
  caf::actor_system_config cfg;
  cfg.set("middleman.heartbeat-interval", caf::timespan{1s});
  cfg.set("middleman.connection-timeout", caf::timespan{3s});
  configure_cluster(cfg);
  configure_cluster(cfg); // Twice is harmless.
  put_option(cfg, "presence.cluster.name", "c");
  auto s = test::ok(read_cluster_settings(cfg));
  CHECK(s.heartbeat_interval == caf::timespan{1s});
  CHECK(s.connection_timeout == caf::timespan{3s});
}

TEST_CASE("cluster options come from the command line and the INI file",
          "[cluster-endpoint][cluster-settings]") {
  caf::actor_system_config cfg;
  configure_cluster(cfg);
  std::istringstream ini{"[presence.cluster]\n"
                         "name=\"from-ini\"\n"
                         "port=0\n"
                         "request-timeout=3s\n"};
  auto err = cfg.parse(caf::actor_system_config::string_list{
                         "--presence.cluster.name=blue",
                         "--presence.cluster.node-name=n1",
                         "--presence.cluster.seeds=[\"10.0.0.2:7410\", "
                         "\"[::1]:7411\"]",
                         "--presence.cluster.max-batch-bytes=4096",
                         "--middleman.heartbeat-interval=250ms"},
                       ini);
  REQUIRE_FALSE(err);
  auto s = test::ok(read_cluster_settings(cfg));
  CHECK(s.name == "blue"); // The command line wins over the file.
  CHECK(s.node_name == "n1");
  CHECK(s.port == 0);
  CHECK(s.request_timeout == caf::timespan{3s});
  REQUIRE(s.seeds.size() == 2);
  CHECK(to_string(s.seeds[0]) == "10.0.0.2:7410");
  CHECK(s.seeds[1].host == "::1");
  CHECK(s.seeds[1].port == 7411);
  CHECK(s.max_batch_bytes == 4096);
  CHECK(s.heartbeat_interval == caf::timespan{250ms});
  CHECK(s.connection_timeout == caf::timespan{2s});
}

TEST_CASE("a config without configure_cluster is refused",
          "[cluster-endpoint][cluster-settings]") {
  caf::actor_system_config cfg;
  auto err = test::err_of(read_cluster_settings(cfg));
  CHECK(is(err, cluster_error::cluster_not_configured));
}

TEST_CASE("each bad cluster option has its error and says which",
          "[cluster-endpoint][cluster-settings]") {
  using tweak = std::function<void(caf::actor_system_config&)>;
  struct bad_case {
    const char* label;
    tweak f;
    cluster_error code;
    const char* says;
  };
  auto missing = cert_dir() + "/no-such-file.pem";
  std::vector<bad_case> cases{
    {"no name", [](auto& c) { put_option(c, "presence.cluster.name", ""); },
     cluster_error::invalid_cluster_option, "presence.cluster.name must be set"},
    {"name with a space",
     [](auto& c) { put_option(c, "presence.cluster.name", "a b"); },
     cluster_error::invalid_cluster_option, "presence.cluster.name"},
    {"bad node name",
     [](auto& c) { put_option(c, "presence.cluster.node-name", "x\ty"); },
     cluster_error::invalid_cluster_option, "presence.cluster.node-name"},
    {"port too large", [](auto& c) { put_option(c, "presence.cluster.port", 70000); },
     cluster_error::invalid_cluster_option, "presence.cluster.port must be in"},
    {"negative port", [](auto& c) { put_option(c, "presence.cluster.port", -1); },
     cluster_error::invalid_cluster_option, "presence.cluster.port"},
    {"port of the wrong type",
     [](auto& c) { put_option(c, "presence.cluster.port", "ten"); },
     cluster_error::invalid_cluster_option, "must be an integer"},
    {"empty bind", [](auto& c) { put_option(c, "presence.cluster.bind", ""); },
     cluster_error::invalid_cluster_option, "presence.cluster.bind"},
    {"wildcard bind without TLS",
     [](auto& c) { put_option(c, "presence.cluster.bind", "0.0.0.0"); },
     cluster_error::insecure_bind, "presence.cluster.tls=true"},
    {"public bind without TLS",
     [](auto& c) { put_option(c, "presence.cluster.bind", "10.1.2.3"); },
     cluster_error::insecure_bind, "10.1.2.3"},
    {"seed without port",
     [](auto& c) {
       put_option(c, "presence.cluster.seeds", std::vector<std::string>{"nohost"});
     },
     cluster_error::invalid_address, "presence.cluster.seeds[0]"},
    {"seed with port 0",
     [](auto& c) {
       put_option(c, "presence.cluster.seeds",
             std::vector<std::string>{"a:1", "b:0"});
     },
     cluster_error::invalid_address, "presence.cluster.seeds[1]"},
    {"IPv6 seed without brackets",
     [](auto& c) {
       put_option(c, "presence.cluster.seeds", std::vector<std::string>{"::1:5"});
     },
     cluster_error::invalid_address, "brackets"},
    {"bad advertise",
     [](auto& c) { put_option(c, "presence.cluster.advertise", "h:99999"); },
     cluster_error::invalid_address, "presence.cluster.advertise"},
    {"TLS without files", [](auto& c) { put_option(c, "presence.cluster.tls", true); },
     cluster_error::tls_incomplete, "openssl.certificate must be set"},
    {"TLS without a key",
     [](auto& c) {
       put_option(c, "presence.cluster.tls", true);
       set_certs(c);
       c.set("openssl.key", "");
     },
     cluster_error::tls_incomplete, "openssl.key must be set"},
    {"TLS with a missing CA file",
     [missing](auto& c) {
       put_option(c, "presence.cluster.tls", true);
       set_certs(c);
       c.set("openssl.cafile", missing);
     },
     cluster_error::tls_incomplete, "openssl.cafile: cannot read"},
    {"TLS with a directory for a certificate",
     [](auto& c) {
       put_option(c, "presence.cluster.tls", true);
       set_certs(c);
       c.set("openssl.certificate", cert_dir());
     },
     cluster_error::tls_incomplete, "openssl.certificate: cannot read"},
    {"no heartbeats",
     [](auto& c) { c.set("middleman.heartbeat-interval", caf::timespan{0}); },
     cluster_error::invalid_heartbeat, "middleman.heartbeat-interval"},
    {"connection timeout at the interval",
     [](auto& c) {
       c.set("middleman.connection-timeout", caf::timespan{500ms});
     },
     cluster_error::invalid_heartbeat, "middleman.connection-timeout"},
    {"zero request timeout",
     [](auto& c) {
       put_option(c, "presence.cluster.request-timeout", caf::timespan{0});
     },
     cluster_error::invalid_cluster_option, "request-timeout"},
    {"zero batch",
     [](auto& c) { put_option(c, "presence.cluster.max-batch-bytes", 0); },
     cluster_error::invalid_cluster_option, "max-batch-bytes"},
    {"batch past BASP's 32 bits",
     [](auto& c) {
       put_option(c, "presence.cluster.max-batch-bytes", int64_t{1} << 32);
     },
     cluster_error::invalid_cluster_option, "32 bits"},
    {"window below a batch",
     [](auto& c) {
       put_option(c, "presence.cluster.max-batch-bytes", 4096);
       put_option(c, "presence.cluster.peer-window-bytes", 4095);
     },
     cluster_error::invalid_cluster_option, "peer-window-bytes"},
  };
  for (auto& x : cases) {
    INFO(x.label);
    auto res = read_with(x.f);
    REQUIRE_FALSE(res);
    INFO(render_cluster(res.error()));
    CHECK(is(res.error(), x.code));
    CHECK(contains(context_of(res.error()), x.says));
  }
}

TEST_CASE("loopback binds need nothing, others TLS or insecure-network",
          "[cluster-endpoint][cluster-settings]") {
  for (auto host : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) {
    INFO(host);
    CHECK(is_loopback(host));
    CHECK(read_with([&](auto& c) { put_option(c, "presence.cluster.bind", host); }));
  }
  for (auto host : {"0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "example.org"})
    CHECK_FALSE(is_loopback(host));
  auto insecure = test::ok(read_with([](auto& c) {
    put_option(c, "presence.cluster.bind", "0.0.0.0");
    put_option(c, "presence.cluster.insecure-network", true);
  }));
  // A wildcard bind advertises the host name.
  CHECK(insecure.advertise.host != "0.0.0.0");
  CHECK_FALSE(insecure.advertise.host.empty());
  auto tls = test::ok(read_with([](auto& c) {
    put_option(c, "presence.cluster.bind", "0.0.0.0");
    put_option(c, "presence.cluster.tls", true);
    put_option(c, "presence.cluster.advertise", "node1.example.org:9000");
    set_certs(c);
  }));
  CHECK(tls.tls);
  CHECK(tls.node_name == "node1.example.org:9000");
}

TEST_CASE("the default node name waits for the bound port when it is 0",
          "[cluster-endpoint][cluster-settings]") {
  auto s = test::ok(read_with([](auto& c) { put_option(c, "presence.cluster.port", 0); }));
  CHECK(s.node_name.empty());
  CHECK(s.effective_node_name(4711) == "127.0.0.1:4711");
  s.node_name = "mine";
  CHECK(s.effective_node_name(4711) == "mine");
}

TEST_CASE("peer addresses parse as host:port",
          "[cluster-endpoint][cluster-settings]") {
  auto a = test::ok(parse_peer_address("example.org:80"));
  CHECK(a.host == "example.org");
  CHECK(a.port == 80);
  auto b = test::ok(parse_peer_address("[fe80::1]:65535"));
  CHECK(b.host == "fe80::1");
  CHECK(to_string(b) == "[fe80::1]:65535");
  CHECK(test::ok(parse_peer_address("host", true)).port == 0);
  for (auto bad : {"", ":80", "host:", "host:65536", "host:8x", "[::1",
                   "[::1]80", "a b:1", "host:123456", "[]:1"}) {
    INFO(bad);
    auto res = parse_peer_address(bad);
    REQUIRE_FALSE(res);
    CHECK(is(res.error(), cluster_error::invalid_address));
  }
}

TEST_CASE("cluster errors render readably",
          "[cluster-endpoint][cluster-settings]") {
  auto err = make_error(cluster_error::insecure_bind, "why");
  CHECK(render_cluster(err)
        == "presence::cluster::" + to_string(cluster_error::insecure_bind)
             + " (why)");
  caf::actor_system_config cfg;
  configure_cluster(cfg);
  caf::actor_system sys{cfg};
  CHECK(sys.render(err) == render_cluster(err));
  // Other categories render as presence renders them.
  auto other = make_error(presence::error::invalid_option, "x");
  CHECK(render_cluster(other) == presence::render(other));
}

TEST_CASE("the dial backoff doubles to its cap with seeded jitter",
          "[cluster-endpoint][backoff]") {
  using ms = std::chrono::milliseconds;
  cluster::backoff b{42};
  std::vector<caf::timespan> bases{ms{100},  ms{200},  ms{400},  ms{800},
                                   ms{1600}, ms{3200}, ms{5000}, ms{5000}};
  std::vector<caf::timespan> first_run;
  for (auto base : bases) {
    CHECK(b.base() == base);
    auto d = b.next();
    CHECK(d <= base);
    CHECK(d >= base * 8 / 10);
    first_run.push_back(d);
  }
  b.reset();
  CHECK(b.base() == ms{100});
  // The same seed gives the same delays; another seed other ones.
  cluster::backoff same{42};
  cluster::backoff other{43};
  bool differs = false;
  for (auto d : first_run) {
    CHECK(same.next() == d);
    differs = differs || other.next() != d;
  }
  CHECK(differs);
  // No jitter: exact bases.
  cluster::backoff exact{ms{10}, ms{25}, 0, 1};
  CHECK(exact.next() == ms{10});
  CHECK(exact.next() == ms{20});
  CHECK(exact.next() == ms{25});
  CHECK(exact.next() == ms{25});
}

} // namespace cluster_settings_tests

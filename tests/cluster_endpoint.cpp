// The cluster's network endpoint: the real address probe, a dial whose
// injected probe fails, dial and publish between two actor systems in one
// process (plain and mutual TLS), and TLS peers that must be refused. Every
// wait is on an event, with generous timeouts.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>

#include "test_util.hpp"

#include "cluster/dialer.hpp"
#include "cluster/publish_endpoint.hpp"
#include "presence/cluster.hpp"
#include "spawn_fn.hpp"

// A namespace per test file: the tests build in unity batches.
namespace cluster_endpoint_tests {

using namespace presence;
using namespace presence::cluster;
using namespace std::chrono_literals;

namespace {

using ping_atom = caf::atom_constant<caf::atom("ep_ping")>;
using pong_atom = caf::atom_constant<caf::atom("ep_pong")>;

std::string cert_dir() {
  return PRESENCE_TEST_CERT_DIR;
}

// A raw TCP socket on loopback; listening unless told otherwise.
struct raw_socket {
  int fd = -1;
  uint16_t port = 0;

  explicit raw_socket(bool listening, int backlog = 16) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    socklen_t len = sizeof(addr);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
    if (listening)
      REQUIRE(::listen(fd, backlog) == 0);
  }

  // True if a connection waits to be accepted.
  bool has_pending() const {
    pollfd pfd{fd, POLLIN, 0};
    return ::poll(&pfd, 1, 0) == 1;
  }

  ~raw_socket() {
    ::close(fd);
  }
};

// A probe that answers what it is told and records its calls.
struct fake_probe : address_probe {
  caf::error answer;
  std::mutex mx;
  std::vector<std::string> calls;

  caf::error probe(const std::string& host, uint16_t port,
                   caf::timespan timeout) override {
    std::lock_guard<std::mutex> guard{mx};
    calls.push_back(host + ":" + std::to_string(port) + "/"
                    + std::to_string(timeout.count()));
    return answer;
  }
};

// Captures the dialer's log lines.
struct log_capture {
  std::mutex mx;
  std::vector<std::string> lines;

  std::function<void(const std::string&)> sink() {
    return [this](const std::string& line) {
      std::lock_guard<std::mutex> guard{mx};
      lines.push_back(line);
    };
  }

  std::vector<std::string> get() {
    std::lock_guard<std::mutex> guard{mx};
    return lines;
  }
};

enum class certs { none, cluster, foreign };

// One node: its own config and actor system with configure_cluster applied.
struct node {
  caf::actor_system_config cfg;
  caf::actor_system sys;

  static caf::actor_system_config& prepared(caf::actor_system_config& cfg,
                                            certs c) {
    configure_cluster(cfg);
    // Several systems run at once in one test: two workers each.
    cfg.set("scheduler.max-threads", 2);
    auto d = cert_dir();
    if (c == certs::cluster) {
      cfg.set("openssl.certificate", d + "/node.pem");
      cfg.set("openssl.key", d + "/node.key");
      cfg.set("openssl.cafile", d + "/cluster-ca.pem");
    } else if (c == certs::foreign) {
      cfg.set("openssl.certificate", d + "/foreign-node.pem");
      cfg.set("openssl.key", d + "/foreign-node.key");
      cfg.set("openssl.cafile", d + "/foreign-ca.pem");
    }
    return cfg;
  }

  explicit node(certs c = certs::none) : sys(prepared(cfg, c)) {
  }
};

caf::behavior gatekeeper_impl(caf::event_based_actor*) {
  return {[](ping_atom) { return pong_atom::value; }};
}

// A published gatekeeper that is told to exit before its system goes.
struct served {
  node& n;
  caf::actor gatekeeper;
  uint16_t port = 0;

  served(node& host, bool tls) : n(host) {
    gatekeeper = test::spawn_fn(n.sys, gatekeeper_impl);
    cluster_settings s;
    s.name = "test";
    s.port = 0;
    s.tls = tls;
    port = test::ok(publish_endpoint(n.sys, gatekeeper, s));
    REQUIRE(port != 0);
  }

  ~served() {
    caf::anon_send_exit(gatekeeper, caf::exit_reason::user_shutdown);
  }
};

struct dial_outcome {
  uint64_t attempt = 0;
  caf::actor peer;
  caf::error err;
  bool answered = false;
};

dial_outcome dial_and_wait(caf::scoped_actor& self, dial_request req) {
  dial_outcome out;
  dial(self->system(), caf::actor_cast<caf::actor>(self), std::move(req));
  self->receive(
    [&](dial_result_atom, uint64_t attempt, caf::actor peer) {
      out.attempt = attempt;
      out.peer = std::move(peer);
      out.answered = true;
    },
    [&](dial_result_atom, uint64_t attempt, caf::error err) {
      out.attempt = attempt;
      out.err = std::move(err);
      out.answered = true;
    },
    caf::after(std::chrono::seconds(40)) >> [] {});
  return out;
}

bool pings(caf::scoped_actor& self, const caf::actor& peer) {
  bool ok = false;
  self->request(peer, std::chrono::seconds(20), ping_atom::value)
    .receive([&](pong_atom) { ok = true; }, [&](caf::error&) {});
  return ok;
}

dial_request request_for(uint16_t port, bool tls, uint64_t attempt,
                         log_capture* log = nullptr) {
  dial_request req;
  req.peer = peer_address{"127.0.0.1", port};
  req.tls = tls;
  req.attempt = attempt;
  if (log != nullptr)
    req.log = log->sink();
  return req;
}

} // namespace

TEST_CASE("the probe connects to a listening port",
          "[cluster-endpoint][probe]") {
  raw_socket listening{true};
  tcp_probe p;
  auto err = p.probe("127.0.0.1", listening.port, std::chrono::seconds(5));
  CHECK_FALSE(err);
  CHECK(listening.has_pending());
  CHECK_FALSE(p.probe("localhost", listening.port, std::chrono::seconds(5)));
}

TEST_CASE("the probe reports a closed port as refused",
          "[cluster-endpoint][probe]") {
  uint16_t port;
  { // Bound but never listening: nothing answers but the kernel's RST.
    raw_socket closed{false};
    port = closed.port;
    auto err = tcp_probe{}.probe("127.0.0.1", port, std::chrono::seconds(5));
    INFO(render_cluster(err));
    CHECK(is(err, cluster_error::connection_refused));
  }
  auto err = tcp_probe{}.probe("", port, std::chrono::seconds(5));
  CHECK(is(err, cluster_error::unresolvable));
}

TEST_CASE("the probe times out on an address that drops SYNs",
          "[cluster-endpoint][probe]") {
  // A full accept queue makes the kernel drop further SYNs, as a firewall
  // that drops packets does.
  raw_socket full{true, 0};
  std::vector<std::unique_ptr<raw_socket>> fillers;
  auto fill = [&] {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(full.port);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    return fd;
  };
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i)
    fds.push_back(fill());
  auto err = tcp_probe{}.probe("127.0.0.1", full.port, 300ms);
  for (auto fd : fds)
    ::close(fd);
  INFO(render_cluster(err));
  CHECK(is(err, cluster_error::probe_timeout));
}

TEST_CASE("a dial whose probe fails never reaches the middleman",
          "[cluster-endpoint][dial]") {
  node client;
  // Were the middleman asked, it would connect here and wait forever for a
  // BASP handshake that this raw socket never sends.
  raw_socket listening{true};
  auto probe = std::make_shared<fake_probe>();
  probe->answer = make_error(cluster_error::connection_refused, "injected");
  log_capture log;
  {
    caf::scoped_actor self{client.sys};
    auto req = request_for(listening.port, false, 7, &log);
    req.probe = probe;
    auto out = dial_and_wait(self, std::move(req));
    REQUIRE(out.answered);
    CHECK(out.attempt == 7);
    CHECK_FALSE(out.peer);
    CHECK(out.err == probe->answer);
  }
  CHECK_FALSE(listening.has_pending());
  REQUIRE(probe->calls.size() == 1);
  CHECK(probe->calls[0] == "127.0.0.1:" + std::to_string(listening.port)
                             + "/" + std::to_string(caf::timespan{1s}.count()));
  CHECK(log.get().empty()); // A probe failure is the caller's to report.
}

TEST_CASE("dial reports a closed port through the real probe",
          "[cluster-endpoint][dial]") {
  node client;
  uint16_t port;
  {
    raw_socket closed{false};
    port = closed.port;
  }
  caf::scoped_actor self{client.sys};
  auto out = dial_and_wait(self, request_for(port, false, 1));
  REQUIRE(out.answered);
  INFO(render_cluster(out.err));
  CHECK(is(out.err, cluster_error::connection_refused));
}

TEST_CASE("publish refuses an unauthenticated non-loopback bind",
          "[cluster-endpoint][publish]") {
  node n;
  auto gk = test::spawn_fn(n.sys, gatekeeper_impl);
  cluster_settings s;
  s.name = "test";
  s.bind = "0.0.0.0";
  s.port = 0;
  auto err = test::err_of(publish_endpoint(n.sys, gk, s));
  CHECK(is(err, cluster_error::insecure_bind));
  caf::anon_send_exit(gk, caf::exit_reason::user_shutdown);
}

TEST_CASE("two nodes connect through dial and publish",
          "[cluster-endpoint][dial][publish]") {
  node server;
  node client;
  served srv{server, false};
  {
    caf::scoped_actor self{client.sys};
    auto out = dial_and_wait(self, request_for(srv.port, false, 3));
    REQUIRE(out.answered);
    INFO(render_cluster(out.err));
    REQUIRE(out.peer);
    CHECK(out.attempt == 3);
    CHECK(pings(self, out.peer));
  }
  // Address reuse: the port rebinds at once although a connection to it
  // still exists (or lingers in TIME_WAIT).
  REQUIRE_FALSE(close_endpoint(server.sys, srv.gatekeeper, srv.port, false));
  cluster_settings again;
  again.name = "test";
  again.port = srv.port;
  CHECK(test::ok(publish_endpoint(server.sys, srv.gatekeeper, again))
        == srv.port);
}

TEST_CASE("TLS: a node with a certificate of the cluster's CA connects",
          "[cluster-endpoint][tls]") {
  node server{certs::cluster};
  node client{certs::cluster};
  served srv{server, true};
  caf::scoped_actor self{client.sys};
  auto out = dial_and_wait(self, request_for(srv.port, true, 1));
  REQUIRE(out.answered);
  INFO(render_cluster(out.err));
  REQUIRE(out.peer);
  CHECK(pings(self, out.peer));
}

TEST_CASE("TLS: a node with a foreign CA's certificate is refused",
          "[cluster-endpoint][tls]") {
  node server{certs::cluster};
  node client{certs::foreign};
  served srv{server, true};
  log_capture log;
  {
    caf::scoped_actor self{client.sys};
    auto out = dial_and_wait(self, request_for(srv.port, true, 1, &log));
    REQUIRE(out.answered);
    INFO(render_cluster(out.err));
    CHECK_FALSE(out.peer);
    CHECK(is(out.err, cluster_error::connect_failed));
  }
  auto lines = log.get();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("127.0.0.1:" + std::to_string(srv.port))
        != std::string::npos);
  CHECK(lines[0].find("TLS") != std::string::npos);
  // The server still takes a good node afterwards.
  node good{certs::cluster};
  caf::scoped_actor self{good.sys};
  auto out = dial_and_wait(self, request_for(srv.port, true, 2));
  REQUIRE(out.peer);
  CHECK(pings(self, out.peer));
}

TEST_CASE("TLS: a node without a certificate is refused",
          "[cluster-endpoint][tls]") {
  node server{certs::cluster};
  node client{certs::none}; // CAF's anonymous cipher: nobody authenticated.
  served srv{server, true};
  log_capture log;
  caf::scoped_actor self{client.sys};
  auto out = dial_and_wait(self, request_for(srv.port, true, 1, &log));
  REQUIRE(out.answered);
  INFO(render_cluster(out.err));
  CHECK_FALSE(out.peer);
  CHECK(is(out.err, cluster_error::connect_failed));
  CHECK(log.get().size() == 1);
}

} // namespace cluster_endpoint_tests

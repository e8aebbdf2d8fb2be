#include "cluster/dialer.hpp"

#include <iostream>

#include <caf/blocking_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/sec.hpp>

#include "presence/cluster_error.hpp"

namespace presence::cluster {

namespace {

caf::expected<caf::actor> connect(caf::actor_system& sys,
                                  const dial_request& req) {
  if (!sys.has_middleman() || (req.tls && !sys.has_openssl_manager()))
    return make_error(cluster_error::connect_failed,
                      "the middleman or OpenSSL module is not loaded "
                      "(presence::configure_cluster loads both)");
  auto once = [&] {
    if (req.tls)
      return caf::openssl::remote_actor(sys, req.peer.host, req.peer.port);
    return sys.middleman().remote_actor(req.peer.host, req.peer.port);
  };
  auto res = once();
  if (!res && res.error() == caf::sec::connection_timeout)
    res = once();
  return res;
}

void run(caf::blocking_actor* self, caf::actor reply_to, dial_request req) {
  auto addr = to_string(req.peer);
  auto answer = [&](auto&& x) {
    self->send(reply_to, dial_result_atom::value, req.attempt,
               std::forward<decltype(x)>(x));
  };
  if (auto err = req.probe->probe(req.peer.host, req.peer.port,
                                  req.probe_timeout)) {
    answer(std::move(err));
    return;
  }
  auto& sys = self->system();
  auto res = connect(sys, req);
  if (res) {
    answer(std::move(*res));
    return;
  }
  auto what = addr + ": " + sys.render(res.error());
  if (req.tls)
    what += " (with TLS: the peer refused the handshake or our "
            "certificate, or its certificate is not from our CA)";
  req.log("presence cluster: connect to " + what);
  answer(make_error(cluster_error::connect_failed, std::move(what)));
}

} // namespace

void dial(caf::actor_system& sys, const caf::actor& reply_to,
          dial_request req) {
  if (!req.probe)
    req.probe = make_tcp_probe();
  if (!req.log)
    req.log = [](const std::string& line) { std::cerr << line << '\n'; };
  // A function taking a blocking_actor runs on a thread of its own, where
  // probing and the middleman's blocking remote_actor stall nobody else.
  sys.spawn(run, reply_to, std::move(req));
}

} // namespace presence::cluster

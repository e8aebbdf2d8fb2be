#include "cluster/connect_probe.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "presence/cluster_error.hpp"

namespace presence::cluster {

namespace {

using clock_type = std::chrono::steady_clock;

std::string where(const std::string& host, uint16_t port) {
  return host + ":" + std::to_string(port);
}

caf::error from_errno(int code, const std::string& addr) {
  auto what = addr + ": " + std::strerror(code);
  switch (code) {
    case ECONNREFUSED:
    case ECONNRESET:
      return make_error(cluster_error::connection_refused, std::move(what));
    case ETIMEDOUT:
      return make_error(cluster_error::probe_timeout, std::move(what));
    default:
      return make_error(cluster_error::unreachable, std::move(what));
  }
}

// One address: connect without blocking, wait for writability until
// `deadline`, read the outcome from SO_ERROR.
caf::error try_address(const addrinfo& ai, clock_type::time_point deadline,
                       const std::string& addr) {
  int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai.ai_protocol);
  if (fd < 0)
    return from_errno(errno, addr);
  struct closer {
    int fd;
    ~closer() {
      ::close(fd);
    }
  } guard{fd};
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) == 0)
    return caf::none;
  if (errno != EINPROGRESS)
    return from_errno(errno, addr);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - clock_type::now());
    if (left.count() <= 0)
      return make_error(cluster_error::probe_timeout,
                        addr + ": no answer within the probe's timeout");
    pollfd pfd{fd, POLLOUT, 0};
    auto n = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return from_errno(errno, addr);
    }
    if (n == 0)
      continue; // The deadline check above answers.
    int err = 0;
    socklen_t len = sizeof(err);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
      return from_errno(errno, addr);
    if (err != 0)
      return from_errno(err, addr);
    return caf::none;
  }
}

} // namespace

address_probe::~address_probe() {
  // nop
}

caf::error tcp_probe::probe(const std::string& host, uint16_t port,
                            caf::timespan timeout) {
  auto addr = where(host, port);
  if (host.empty() || port == 0)
    return make_error(cluster_error::unresolvable,
                      addr + ": needs a host and a port");
  auto deadline = clock_type::now() + timeout;
  addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  auto port_str = std::to_string(port);
  if (auto rc = ::getaddrinfo(host.c_str(), port_str.c_str(), &hints, &res);
      rc != 0 || res == nullptr)
    return make_error(cluster_error::unresolvable,
                      addr + ": " + ::gai_strerror(rc));
  caf::error last;
  for (auto ai = res; ai != nullptr; ai = ai->ai_next) {
    last = try_address(*ai, deadline, addr);
    if (!last || is(last, cluster_error::probe_timeout))
      break;
  }
  ::freeaddrinfo(res);
  return last;
}

std::shared_ptr<address_probe> make_tcp_probe() {
  return std::make_shared<tcp_probe>();
}

} // namespace presence::cluster

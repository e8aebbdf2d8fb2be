#include "processes/tcp_relay.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace test {

namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

} // namespace

tcp_relay::tcp_relay(uint16_t target) : target_(target) {
  // A write to a connection its peer closed must not end the test.
  ::signal(SIGPIPE, SIG_IGN);
  listener_ = socket(AF_INET, SOCK_STREAM, 0);
  auto addr = loopback(0);
  socklen_t len = sizeof(addr);
  if (listener_ < 0
      || bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || listen(listener_, 16) != 0
      || getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("tcp_relay: cannot listen");
  port_ = ntohs(addr.sin_port);
  worker_ = std::thread{[this] { run(); }};
}

tcp_relay::~tcp_relay() {
  done_ = true;
  worker_.join();
  close(listener_);
}

void tcp_relay::run() {
  // Pairs of (client, upstream) sockets; bytes read from one go to the other.
  std::vector<std::pair<int, int>> links;
  while (!done_) {
    std::vector<pollfd> fds{{listener_, POLLIN, 0}};
    if (!frozen_)
      for (auto& [a, b] : links) {
        fds.push_back({a, POLLIN, 0});
        fds.push_back({b, POLLIN, 0});
      }
    if (::poll(fds.data(), fds.size(), 20) <= 0)
      continue;
    if (fds[0].revents & POLLIN) {
      auto client = accept(listener_, nullptr, nullptr);
      auto upstream = socket(AF_INET, SOCK_STREAM, 0);
      auto addr = loopback(target_);
      if (client >= 0 && upstream >= 0
          && connect(upstream, reinterpret_cast<sockaddr*>(&addr),
                     sizeof(addr))
               == 0) {
        links.emplace_back(client, upstream);
      } else {
        if (client >= 0)
          close(client);
        if (upstream >= 0)
          close(upstream);
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      auto& link = links[(i - 1) / 2];
      auto from = fds[i].fd;
      auto to = from == link.first ? link.second : link.first;
      char buf[65536];
      auto n = read(from, buf, sizeof(buf));
      bool ok = n > 0;
      for (ssize_t off = 0; ok && off < n;) {
        auto w = write(to, buf + off, static_cast<size_t>(n - off));
        ok = w > 0;
        off += w > 0 ? w : 0;
      }
      if (!ok) {
        // One side closed: close both, as a plain TCP path would.
        close(link.first);
        close(link.second);
        link = {-1, -1};
      }
    }
    std::vector<std::pair<int, int>> open;
    for (auto& l : links)
      if (l.first >= 0)
        open.push_back(l);
    links.swap(open);
  }
  for (auto& [a, b] : links) {
    close(a);
    close(b);
  }
}

} // namespace test

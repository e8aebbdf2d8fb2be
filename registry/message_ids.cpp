#include "registry/message_ids.hpp"

#include <chrono>
#include <cstring>
#include <functional>
#include <random>

#include <caf/timestamp.hpp>

namespace presence::detail {

std::string message_ids::make_prefix(const std::string& node,
                                     uint64_t actor_id) {
  std::random_device rd;
  auto x = std::hash<std::string>{}(node)
           ^ (actor_id * 0x9E3779B97F4A7C15ull)
           ^ ((uint64_t{rd()} << 32) | rd())
           ^ static_cast<uint64_t>(
             std::chrono::system_clock::now().time_since_epoch().count());
  // splitmix64's finaliser spreads every input bit over the output.
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  std::string result(8, ' ');
  for (auto& c : result) {
    c = digits[x & 63];
    x >>= 6;
  }
  return result;
}

std::string message_ids::next() {
  char buf[32];
  auto n = std::min(prefix_.size(), sizeof(buf) - 12);
  memcpy(buf, prefix_.data(), n);
  char tmp[12];
  size_t len = 0;
  for (auto x = next_++; x != 0 || len == 0; x >>= 6)
    tmp[len++] = digits[x & 63];
  while (len > 0)
    buf[n++] = tmp[--len];
  return std::string(buf, n);
}

void message_ids::stamp(push_message& msg) {
  if (msg.message_id.empty())
    msg.message_id = next();
  if (msg.timestamp.time_since_epoch().count() == 0)
    msg.timestamp = caf::make_timestamp();
}

} // namespace presence::detail

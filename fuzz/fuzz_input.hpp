#pragma once

// How the registry fuzz target reads its input: a stream of small decisions
// (login ids, tokens, devices, metadata, policies, messages), plus the rule
// for fields the library may reject where the model would not.

#include <cstddef>
#include <cstdint>
#include <string>

#include "presence/presence.hpp"

namespace presence::fuzz {

/// Reads the fuzz input as a stream of small decisions; zeros once empty.
class reader {
public:
  reader(const uint8_t* data, size_t size) : data_(data), size_(size) {
  }
  bool empty() const {
    return pos_ >= size_;
  }
  uint8_t byte() {
    return pos_ < size_ ? data_[pos_++] : 0;
  }
  bool flag() {
    return byte() & 1;
  }
  std::string raw(size_t max_len) {
    size_t n = byte() % (max_len + 1);
    std::string out;
    while (n-- > 0 && !empty())
      out.push_back(static_cast<char>(byte()));
    return out;
  }
  /// Mostly from a small pool, so operations meet each other's users; now
  /// and then raw bytes (empty, invalid UTF-8, long).
  std::string pick(const char* prefix, uint8_t pool) {
    auto b = byte();
    if (b < 240)
      return prefix + std::to_string(b % pool);
    if (b < 250)
      return raw(16);
    return std::string(256 + byte(), 'x');
  }
  std::string login() {
    return pick("u", 4);
  }
  std::string token() {
    return pick("t", 4);
  }
  std::string device() {
    auto b = byte() % 8;
    return b < 3 ? std::string{"web"} : b < 6 ? std::string{"ios"} : raw(8);
  }
  metadata_map metadata() {
    metadata_map md;
    auto n = byte() % 3;
    for (uint8_t i = 0; i < n; ++i)
      md[raw(6)] = raw(12);
    return md;
  }
  login_policy policy() {
    login_policy p;
    p.max_sessions = static_cast<int32_t>(byte() % 5);
    if (byte() == 255)
      p.max_sessions = -1;
    p.one_per_device = flag();
    p.on_limit = flag() ? limit_action::reject : limit_action::replace;
    return p;
  }
  push_message message() {
    push_message m;
    switch (byte() % 6) {
      case 0:
        m = make_binary_message(raw(8));
        break;
      case 1:
        m = make_notification(raw(8));
        break;
      case 2:
        m = make_custom_message(raw(4), raw(8));
        break;
      default:
        m = make_text_message(raw(8));
    }
    m.keep_if_offline = flag();
    return m;
  }

private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

/// A field the library may reject by a rule the model does not hold: not
/// valid UTF-8, longer than any sensible id, or an empty device. Then an
/// error is accepted as well as the model's outcome.
inline bool unusual(const std::string& x) {
  return !is_valid_utf8(x) || x.size() > 64;
}

inline bool unusual(const metadata_map& md) {
  for (auto& [k, v] : md)
    if (unusual(k) || unusual(v) || k.empty())
      return true;
  return false;
}

inline bool lenient_user(const online_user& u) {
  return unusual(u.login_id) || unusual(u.token) || unusual(u.device)
         || u.device.empty() || unusual(u.metadata);
}

inline bool lenient_msg(const push_message& msg) {
  return unusual(msg.content) || unusual(msg.type.custom_name())
         || unusual(msg.metadata);
}

} // namespace presence::fuzz

#include "presence/validation.hpp"

#include <cstdint>
#include <cstring>
#include <string>

#include "presence/error.hpp"

namespace presence {

bool is_valid_utf8(const std::string& bytes) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(bytes.data());
  auto end = p + bytes.size();
  while (p < end) {
    // Fast path: eight ASCII bytes at a time.
    if (end - p >= 8) {
      uint64_t chunk;
      std::memcpy(&chunk, p, 8);
      if ((chunk & 0x8080808080808080ull) == 0) {
        p += 8;
        continue;
      }
    }
    auto c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t len;
    uint32_t min_cp;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2, min_cp = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min_cp = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min_cp = 0x10000, cp = c & 0x07;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) < len)
      return false;
    for (size_t i = 1; i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Reject overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    p += len;
  }
  return true;
}

caf::error validate_login_id(const std::string& login_id) {
  if (login_id.empty())
    return make_error(error::empty_login_id);
  return caf::none;
}

caf::error validate_session_key(const std::string& login_id,
                                const std::string& token) {
  if (auto err = validate_login_id(login_id))
    return err;
  if (token.empty())
    return make_error(error::empty_token, "login id " + login_id);
  return caf::none;
}

caf::error validate_user(const online_user& user) {
  return validate_session_key(user.login_id, user.token);
}

namespace {

caf::error validate_size(const std::string& content, size_t max_content_size) {
  if (content.size() > max_content_size)
    return make_error(error::content_too_large,
                      std::to_string(content.size()) + " bytes > "
                        + std::to_string(max_content_size));
  return caf::none;
}

} // namespace

caf::error validate_message(const push_message& message,
                            size_t max_content_size) {
  if (message.type.get_kind() == message_type::kind::text)
    return validate_text(message.content, max_content_size);
  if (auto err = validate_size(message.content, max_content_size))
    return err;
  if (message.type.is_custom() && message.type.custom_name().empty())
    return make_error(error::empty_custom_type);
  return caf::none;
}

caf::error validate_text(const std::string& content, size_t max_content_size) {
  if (auto err = validate_size(content, max_content_size))
    return err;
  if (!is_valid_utf8(content))
    return make_error(error::invalid_utf8);
  return caf::none;
}

} // namespace presence

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

namespace {

std::string too_long(const char* field, size_t size, const char* option,
                     size_t limit) {
  return std::string{field} + ": " + std::to_string(size) + " bytes > "
         + option + " (" + std::to_string(limit) + ")";
}

/// A name-like field (id, token, device, custom type, key, reason): bounded
/// by max_id_size, valid UTF-8. Emptiness is the caller's business.
caf::error check_name(const char* field, const std::string& x,
                      const limits& lim) {
  if (x.size() > lim.max_id_size)
    return make_error(error::field_too_long,
                      too_long(field, x.size(), "presence.max-id-size",
                               lim.max_id_size));
  if (!is_valid_utf8(x))
    return make_error(error::invalid_utf8,
                      std::string{field} + " is not valid UTF-8");
  return caf::none;
}

/// Entries and keys of a metadata map; adds its bytes to `bytes`.
caf::error check_metadata(const char* what, const metadata_map& md,
                          const limits& lim, size_t& bytes) {
  if (md.size() > lim.max_metadata_entries)
    return make_error(error::metadata_too_large,
                      std::string{what} + ": " + std::to_string(md.size())
                        + " entries > presence.max-metadata-entries ("
                        + std::to_string(lim.max_metadata_entries) + ")");
  for (auto& [key, value] : md) {
    if (auto err = check_name("metadata key", key, lim))
      return err;
    bytes += key.size() + value.size();
  }
  return caf::none;
}

caf::error check_content_size(size_t bytes, const limits& lim) {
  if (bytes > lim.max_content_size)
    return make_error(error::content_too_large,
                      too_long("content and metadata", bytes,
                               "presence.max-content-size",
                               lim.max_content_size));
  return caf::none;
}

} // namespace

caf::error validate_login_id(const std::string& login_id, const limits& lim) {
  if (login_id.empty())
    return make_error(error::empty_login_id);
  return check_name("login id", login_id, lim);
}

caf::error validate_session_key(const std::string& login_id,
                                const std::string& token, const limits& lim) {
  if (auto err = validate_login_id(login_id, lim))
    return err;
  if (token.empty())
    return make_error(error::empty_token, "login id " + login_id);
  return check_name("token", token, lim);
}

caf::error validate_device(const std::string& device, const limits& lim) {
  if (device.empty())
    return make_error(error::empty_device);
  return check_name("device", device, lim);
}

caf::error validate_metadata(const metadata_map& metadata, const limits& lim) {
  size_t bytes = 0;
  if (auto err = check_metadata("session metadata", metadata, lim, bytes))
    return err;
  if (bytes > lim.max_metadata_size)
    return make_error(error::metadata_too_large,
                      too_long("session metadata", bytes,
                               "presence.max-metadata-size",
                               lim.max_metadata_size));
  return caf::none;
}

caf::error validate_user(const online_user& user, const limits& lim) {
  if (auto err = validate_session_key(user.login_id, user.token, lim))
    return err;
  if (auto err = validate_device(user.device, lim))
    return err;
  return validate_metadata(user.metadata, lim);
}

caf::error validate_message(const push_message& message, const limits& lim) {
  size_t bytes = message.content.size();
  if (auto err = check_metadata("message metadata", message.metadata, lim,
                                bytes))
    return err;
  if (auto err = check_content_size(bytes, lim))
    return err;
  if (!message.message_id.empty())
    if (auto err = check_name("message id", message.message_id, lim))
      return err;
  switch (message.type.get_kind()) {
    case message_type::kind::text:
    case message_type::kind::notification:
      if (!is_valid_utf8(message.content))
        return make_error(error::invalid_utf8);
      break;
    case message_type::kind::kick_out:
      return validate_reason(message.content, lim);
    case message_type::kind::custom:
      if (message.type.custom_name().empty())
        return make_error(error::empty_custom_type);
      return check_name("custom type", message.type.custom_name(), lim);
    case message_type::kind::binary:
      break;
  }
  return caf::none;
}

caf::error validate_text(const std::string& content, const limits& lim) {
  if (auto err = check_content_size(content.size(), lim))
    return err;
  if (!is_valid_utf8(content))
    return make_error(error::invalid_utf8);
  return caf::none;
}

caf::error validate_reason(const std::string& reason, const limits& lim) {
  return check_name("kick reason", reason, lim);
}

// -- with the default limits --------------------------------------------------

caf::error validate_login_id(const std::string& login_id) {
  return validate_login_id(login_id, limits{});
}

caf::error validate_session_key(const std::string& login_id,
                                const std::string& token) {
  return validate_session_key(login_id, token, limits{});
}

caf::error validate_user(const online_user& user) {
  return validate_user(user, limits{});
}

caf::error validate_message(const push_message& message,
                            size_t max_content_size) {
  limits lim;
  lim.max_content_size = max_content_size;
  return validate_message(message, lim);
}

caf::error validate_text(const std::string& content, size_t max_content_size) {
  limits lim;
  lim.max_content_size = max_content_size;
  return validate_text(content, lim);
}

} // namespace presence

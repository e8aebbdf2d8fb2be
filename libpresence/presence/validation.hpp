#pragma once

// Input checks shared by the facade and the registry.

#include <cstddef>
#include <string>

#include <caf/error.hpp>

#include "presence/online_user.hpp"
#include "presence/push_message.hpp"

namespace presence {

bool is_valid_utf8(const std::string& bytes) noexcept;

caf::error validate_login_id(const std::string& login_id);

caf::error validate_session_key(const std::string& login_id,
                                const std::string& token);

caf::error validate_user(const online_user& user);

caf::error validate_message(const push_message& message,
                            size_t max_content_size);

/// validate_message for a Text message with this content.
caf::error validate_text(const std::string& content, size_t max_content_size);

} // namespace presence

#pragma once

// The type of a pushed message: Text, Binary, KickOut, Notification or
// Custom(name). The name exists only on Custom.

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace presence {

class message_type {
public:
  enum class kind : uint8_t { text, binary, kick_out, notification, custom };

  message_type() = default;

  static message_type text() { return message_type{kind::text}; }
  static message_type binary() { return message_type{kind::binary}; }
  static message_type kick_out() { return message_type{kind::kick_out}; }
  static message_type notification() {
    return message_type{kind::notification};
  }
  /// A custom type; an empty name is rejected when the message is pushed.
  static message_type custom(std::string name) {
    message_type result{kind::custom};
    result.custom_name_ = std::move(name);
    return result;
  }

  kind get_kind() const noexcept { return kind_; }

  bool is_custom() const noexcept { return kind_ == kind::custom; }

  /// The name of a Custom type; empty for every other kind.
  const std::string& custom_name() const noexcept { return custom_name_; }

  friend bool operator==(const message_type& x, const message_type& y) {
    return x.kind_ == y.kind_ && x.custom_name_ == y.custom_name_;
  }
  friend bool operator!=(const message_type& x, const message_type& y) {
    return !(x == y);
  }
  friend bool operator<(const message_type& x, const message_type& y) {
    return x.kind_ != y.kind_ ? x.kind_ < y.kind_
                              : x.custom_name_ < y.custom_name_;
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f,
                                                 message_type& x) {
    return f(caf::meta::type_name("presence::message_type"), x.kind_,
             x.custom_name_);
  }

private:
  explicit message_type(kind k) : kind_(k) {
  }

  kind kind_ = kind::text;
  std::string custom_name_;
};

/// "Text", "Binary", "KickOut", "Notification" or "Custom(name)".
std::string to_string(const message_type& x);

} // namespace presence

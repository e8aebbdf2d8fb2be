#pragma once

// Input checks: the field checks behind every entry point, composed per call
// by one struct for each call. The facade runs them on the caller's thread;
// the registry on every operation whose origin is not its own facade client
// (see docs/design.md, "Validation").

#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/error.hpp>

#include "presence/login_policy.hpp"
#include "presence/online_user.hpp"
#include "presence/push_message.hpp"

namespace presence {

/// Bounds on input, from the `presence.*` options (see settings).
struct limits {
  /// Login ids, tokens, device types, custom type names, message ids, kick
  /// reasons and metadata keys: at most this many bytes of valid UTF-8
  /// (`presence.max-id-size`).
  size_t max_id_size = 256;
  /// Entries of a metadata map, of a session or of a pushed message
  /// (`presence.max-metadata-entries`).
  size_t max_metadata_entries = 64;
  /// Bytes of a session's metadata, keys and values together
  /// (`presence.max-metadata-size`).
  size_t max_metadata_size = 16 * 1024;
  /// Bytes of a pushed message's content plus its metadata's keys and values
  /// (`presence.max-content-size`).
  size_t max_content_size = 1024 * 1024;
};

/// Where an operation comes from; only the registry's own facade client is
/// trusted to have validated its operations already.
enum class origin : uint8_t {
  /// The facade (online_manager) that spawned the registry: it validated
  /// every operation on its caller's thread.
  own_client,
  /// A typed request to the registry's handle.
  typed_request,
  /// A batch from any other sender (an actor reaching the internal batch
  /// message with actor_cast).
  foreign_batch,
  /// A batch from the node's cluster actor: a write another node forwarded
  /// to this one, its owner. Validated, applied to this node's own sessions
  /// and never forwarded again.
  cluster_peer,
};

/// Whether the registry must validate an operation from `x`.
constexpr bool needs_validation(origin x) noexcept {
  return x != origin::own_client;
}

bool is_valid_utf8(const std::string& bytes) noexcept;

/// A non-empty login id within `max_id_size` bytes of valid UTF-8
/// (`empty_login_id`, `field_too_long`, `invalid_utf8`).
caf::error validate_login_id(const std::string& login_id, const limits& lim);

/// The login id, then a non-empty token with the same bounds (`empty_token`).
caf::error validate_session_key(const std::string& login_id,
                                const std::string& token, const limits& lim);

/// A non-empty device type with the bounds of an id (`empty_device`).
caf::error validate_device(const std::string& device, const limits& lim);

/// A session's metadata: at most `max_metadata_entries` entries and
/// `max_metadata_size` bytes of keys and values (`metadata_too_large`); keys
/// are names, bounded and checked like ids. Values are bytes.
caf::error validate_metadata(const metadata_map& metadata, const limits& lim);

/// A session for mark_online: session key, device and metadata.
caf::error validate_user(const online_user& user, const limits& lim);

/// A pushed message: content plus metadata within `max_content_size`
/// (`content_too_large`), metadata entries and keys as for a session, valid
/// UTF-8 content for Text, Notification and KickOut, a named Custom type and
/// a message id (if set) bounded like ids. A KickOut's content is its reason,
/// bounded like an id.
caf::error validate_message(const push_message& message, const limits& lim);

/// validate_message for a Text message with this content and no metadata.
caf::error validate_text(const std::string& content, const limits& lim);

/// A kick reason: at most `max_id_size` bytes of valid UTF-8; may be empty.
caf::error validate_reason(const std::string& reason, const limits& lim);

// -- with the default limits (tests, tools) -----------------------------------

caf::error validate_login_id(const std::string& login_id);

caf::error validate_session_key(const std::string& login_id,
                                const std::string& token);

caf::error validate_user(const online_user& user);

caf::error validate_message(const push_message& message,
                            size_t max_content_size);

caf::error validate_text(const std::string& content, size_t max_content_size);

} // namespace presence

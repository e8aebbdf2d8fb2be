#pragma once

// Presence's error category. Every failure the library reports is a
// `caf::error` in this category (or one of CAF's own, e.g. a request timeout).
// Errors are for invalid input and a broken environment only: acting on an
// unknown user or session is a no-op that the result reports.

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace presence {

enum class error : uint8_t {
  none = 0,
  /// A login id was empty.
  empty_login_id,
  /// A session token was empty.
  empty_token,
  /// A message's content plus its metadata's keys and values exceed
  /// `presence.max-content-size`.
  content_too_large,
  /// A login id, token, device type, custom type name, message id, kick
  /// reason or metadata key, or the content of a Text, Notification or
  /// KickOut message, is not valid UTF-8.
  invalid_utf8,
  /// A Custom message type has an empty name.
  empty_custom_type,
  /// The actor system's config was not prepared with `presence::configure`.
  system_not_configured,
  /// The registry this handle talks to has terminated.
  registry_down,
  /// The pusher handle is invalid (default-constructed), or its actor has
  /// already terminated when it is registered. One that dies later is
  /// dropped by the registry's monitor.
  invalid_pusher,
  /// A configuration value is out of range.
  invalid_option,
  /// A login policy has a negative or absurd limit or an unknown action.
  invalid_policy,
  /// The login policy (`max_sessions`, action reject) refused a new session.
  too_many_sessions,
  /// The login policy (one session per device, action reject) refused a new
  /// session because the device type already has one.
  device_taken,
  /// A device type was empty (mark_online, kick_out_device).
  empty_device,
  /// The event subscriber handle is invalid (default-constructed), or its
  /// actor has already terminated when it subscribes.
  invalid_subscriber,
  /// A blocking wait (a pending's get/wait, a full window, a query waiting
  /// on earlier writes) was made on one of the scheduler's own worker
  /// threads, where it could deadlock the actors it waits for.
  blocking_call_in_actor,
  /// A login id, token, device type, custom type name, message id, kick
  /// reason or metadata key is longer than `presence.max-id-size`.
  field_too_long,
  /// A metadata map has more entries than `presence.max-metadata-entries`,
  /// or a session's metadata more bytes than `presence.max-metadata-size`.
  metadata_too_large,
  /// A message sent to the registry is malformed (a batch without a reply
  /// address or whose reply address is not its sender, an internal message
  /// from outside, an operation that no client may send, an unexpected
  /// message type): it was rejected and counted in presence_stats::rejected.
  malformed_message,
  /// A cluster actor asked to attach to a registry that already has one.
  cluster_already_attached,
};

/// The atom that names presence's error category.
constexpr caf::atom_value error_category = caf::atom("presence");

std::string to_string(error x);

caf::error make_error(error x);

caf::error make_error(error x, std::string context);

/// True when `err` is `x` in presence's category.
bool is(const caf::error& err, error x);

/// Renders any error readably, on any actor system: presence's errors as
/// "presence::<name>: <description> (<context>)" whether or not the system
/// was prepared with `presence::configure` (which registers the same text
/// for `actor_system::render`), CAF's own as `actor_system_config::render`
/// does, others as `caf::to_string`.
std::string render(const caf::error& err);

} // namespace presence

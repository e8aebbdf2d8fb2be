#pragma once

// Preparing an actor system for presence. In CAF 0.17 message types, error
// categories, options and scheduler settings live on the actor_system_config
// and must be set before the actor system exists.
//
//   presence::config cfg;               // or: presence::configure(my_cfg)
//   if (auto err = cfg.parse(argc, argv)) ...
//   caf::actor_system sys{cfg};

#include <cstddef>

#include <caf/actor_system_config.hpp>
#include <caf/config_option_set.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "presence/login_policy.hpp"
#include "presence/validation.hpp"

namespace presence {

/// Registers presence's message types and error category, declares the
/// `presence.*` options and applies the scheduler defaults chosen by
/// measurement (see docs/design.md): `scheduler.policy = spinning`,
/// presence's own work-sharing policy, unless the application already set a
/// policy. Call it before `parse`, so that the
/// command line and INI file can still override everything.
void configure(caf::actor_system_config& cfg);

/// Declares the `presence.*` options on an option set. `configure` calls it on
/// the config's own option set; an application with its own config subclass that
/// wants the options in its own --help text can call it on `custom_options_`
/// instead (doing both is harmless).
void add_options(caf::config_option_set& opts);

/// A ready config for applications without a config subclass of their own.
class config : public caf::actor_system_config {
public:
  config();
};

/// The `presence.*` settings of a running actor system.
struct settings {
  /// Largest accepted message content in bytes (`presence.max-content-size`).
  size_t max_content_size = 1024 * 1024;
  /// How long a pusher may take to confirm a batch (`presence.pusher-timeout`).
  caf::timespan pusher_timeout = std::chrono::seconds(5);
  /// Deliveries per batch sent to pushers (`presence.batch-size`).
  size_t batch_size = 4096;
  /// Calls a facade keeps in flight before callers block (`presence.window`).
  size_t window = 65536;
  /// Call batches a facade has in flight to the registry at once
  /// (`presence.batches-in-flight`).
  size_t batches_in_flight = 2;
  /// A session without activity for this long goes offline
  /// (`presence.idle-timeout`); zero turns idle expiry off (the default).
  caf::timespan idle_timeout{0};
  /// The login policy for `mark_online` calls that bring none
  /// (`presence.max-sessions`, `presence.one-session-per-device`,
  /// `presence.on-session-limit`). Default: unlimited.
  login_policy policy;
  /// Messages kept per offline user (`presence.offline-buffer-size`); the
  /// oldest is dropped to make room. Zero turns the buffer off.
  size_t buffer_per_user = 64;
  /// How long a buffered message waits for its user
  /// (`presence.offline-buffer-ttl`).
  caf::timespan buffer_ttl = std::chrono::minutes(5);
  /// Bytes the offline buffer holds at most, all users together
  /// (`presence.offline-buffer-bytes`); the oldest messages go first.
  size_t buffer_max_bytes = size_t{64} << 20;
  /// Most bytes of a login id, token, device type, custom type name, message
  /// id, kick reason or metadata key (`presence.max-id-size`).
  size_t max_id_size = 256;
  /// Most entries in a session's or a message's metadata
  /// (`presence.max-metadata-entries`).
  size_t max_metadata_entries = 64;
  /// Most bytes of a session's metadata, keys and values together
  /// (`presence.max-metadata-size`). A message's metadata counts with its
  /// content against `max_content_size` instead.
  size_t max_metadata_size = 16 * 1024;

  /// The bounds every entry point checks input against.
  limits input_limits() const noexcept {
    return limits{max_id_size, max_metadata_entries, max_metadata_size,
                  max_content_size};
  }
};

/// Reads and validates the `presence.*` settings. Fails with
/// `system_not_configured` when `configure` was not applied to the system's
/// config, or `invalid_option` for a value out of range.
caf::expected<settings> read_settings(const caf::actor_system& sys);

} // namespace presence

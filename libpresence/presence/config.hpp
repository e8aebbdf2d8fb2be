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

namespace presence {

/// Registers presence's message types and error category, declares the
/// `presence.*` options and applies the scheduler defaults chosen by
/// measurement (see docs/design.md): `scheduler.policy = sharing`, unless the
/// application already set a policy. Call it before `parse`, so that the
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
};

/// Reads and validates the `presence.*` settings. Fails with
/// `system_not_configured` when `configure` was not applied to the system's
/// config, or `invalid_option` for a value out of range.
caf::expected<settings> read_settings(const caf::actor_system& sys);

} // namespace presence

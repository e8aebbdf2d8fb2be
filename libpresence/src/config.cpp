#include "presence/config.hpp"

#include <algorithm>
#include <typeindex>

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/message.hpp>
#include <caf/settings.hpp>

#include "presence/error.hpp"
#include "presence/detail/internal_type_ids.hpp"
#include "presence/type_ids.hpp"
#include "scheduler/spinning_sharing.hpp"

namespace presence {

namespace {

// custom_options_ is protected and CAF 0.17 offers no accessor; a pointer to
// member taken in a derived class is the standard-conforming way to reach it.
struct options_access : caf::actor_system_config {
  static constexpr auto member = &options_access::custom_options_;
};

constexpr size_t max_window = size_t{1} << 24;

} // namespace

void add_options(caf::config_option_set& opts) {
  // Declaring the same option twice is harmless: config_option_set::add
  // appends, lookups find the first.
  if (opts.qualified_name_lookup("presence.max-content-size") != nullptr)
    return;
  caf::config_option_adder{opts, "presence"}
    .add<size_t>("max-content-size",
                 "largest accepted message content in bytes (1 MiB)")
    .add<caf::timespan>("pusher-timeout",
                        "time a pusher has to confirm a batch (5s)")
    .add<size_t>("batch-size", "deliveries per batch sent to pushers (4096)")
    .add<size_t>("window", "calls a facade keeps in flight (65536)")
    .add<size_t>("batches-in-flight",
                 "call batches a facade has in flight to the registry (2)")
    .add<caf::timespan>("idle-timeout",
                        "sessions without activity this long go offline "
                        "(0 = never, the default)")
    .add<int64_t>("max-sessions",
                  "most sessions per user, 0 = unlimited (the default)")
    .add<bool>("one-session-per-device",
               "at most one session per device type per user (false)")
    .add<std::string>("on-session-limit",
                      "what a policy does with an extra session: replace "
                      "(kick the oldest) or reject (the default: replace)")
    .add<size_t>("offline-buffer-size",
                 "messages kept per offline user, 0 = off (64)")
    .add<caf::timespan>("offline-buffer-ttl",
                        "how long a buffered message waits (5min)")
    .add<size_t>("offline-buffer-bytes",
                 "bytes the offline buffer holds in all (64 MiB)")
    .add<size_t>("max-id-size",
                 "most bytes of a login id, token, device type, custom type "
                 "name, message id, kick reason or metadata key (256)")
    .add<size_t>("max-metadata-entries",
                 "most entries in a session's or a message's metadata (64)")
    .add<size_t>("max-metadata-size",
                 "most bytes of a session's metadata, keys and values (16 KiB)")
    .add<caf::timespan>("scheduler-spin",
                        "with scheduler.policy=spinning: how long one idle "
                        "worker polls for work before sleeping (100us)");
}

void configure(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::presence>();
  cfg.add_message_types<caf::id_block::presence_internal>();
  // The same text as presence::render, which needs no registration.
  cfg.add_error_category(error_category,
                         [](uint8_t code, caf::atom_value category,
                            const caf::message& ctx) {
                           return render(caf::error{code, category, ctx});
                         });
  add_options(cfg.*options_access::member);
  // Measured (docs/design.md, "Scheduler"): work sharing is what lets one
  // registry reach a million distinct user actors in about a second (CAF's
  // default work stealing took over a minute); polling by one idle worker
  // is what keeps a push's hand-offs off futex wake-ups. The scheduler
  // module reads scheduler.policy when the system starts, so an explicit
  // choice by the application, in code or on the command line, wins.
  if (caf::get_if(&cfg.content, "scheduler.policy") == nullptr)
    cfg.set("scheduler.policy", caf::atom("spinning"));
  using factory = caf::actor_system::module* (*)(caf::actor_system&);
  auto ours = [](const auto& f) {
    auto fn = f.template target<factory>();
    return fn != nullptr && *fn == &detail::make_scheduler;
  };
  auto& fs = cfg.module_factories;
  if (std::none_of(fs.begin(), fs.end(), ours))
    fs.insert(fs.begin(), &detail::make_scheduler);
}

config::config() {
  configure(*this);
}

caf::expected<settings> read_settings(const caf::actor_system& sys) {
  auto& cfg = sys.config();
  if (cfg.type_names_by_rtti.count(std::type_index(typeid(online_user))) == 0)
    // Its description rides in the context: the system that reports it has
    // no renderer for presence's category, and caf::to_string shows it.
    return make_error(error::system_not_configured,
                      to_string(error::system_not_configured));
  settings result;
  result.max_content_size = caf::get_or(cfg, "presence.max-content-size",
                                        result.max_content_size);
  result.pusher_timeout = caf::get_or(cfg, "presence.pusher-timeout",
                                      result.pusher_timeout);
  result.batch_size = caf::get_or(cfg, "presence.batch-size",
                                  result.batch_size);
  result.window = caf::get_or(cfg, "presence.window", result.window);
  result.batches_in_flight = caf::get_or(cfg, "presence.batches-in-flight",
                                         result.batches_in_flight);
  if (result.pusher_timeout.count() <= 0)
    return make_error(error::invalid_option,
                      "presence.pusher-timeout must be positive");
  if (result.batch_size == 0 || result.batch_size > (size_t{1} << 20))
    return make_error(error::invalid_option,
                      "presence.batch-size must be in [1, 1048576]");
  if (result.window == 0 || result.window > max_window)
    return make_error(error::invalid_option,
                      "presence.window must be in [1, 16777216]");
  if (result.batches_in_flight == 0 || result.batches_in_flight > 1024)
    return make_error(error::invalid_option,
                      "presence.batches-in-flight must be in [1, 1024]");
  if (result.max_content_size > (size_t{1} << 30))
    return make_error(error::invalid_option,
                      "presence.max-content-size must be at most 1 GiB");
  // Bounds on input (validation.hpp). An id is a name, not a payload: 64 KiB
  // is far past any real one. Zero metadata entries or bytes is legal: it
  // forbids metadata.
  result.max_id_size = caf::get_or(cfg, "presence.max-id-size",
                                   result.max_id_size);
  result.max_metadata_entries = caf::get_or(
    cfg, "presence.max-metadata-entries", result.max_metadata_entries);
  result.max_metadata_size = caf::get_or(cfg, "presence.max-metadata-size",
                                         result.max_metadata_size);
  if (result.max_id_size == 0 || result.max_id_size > 65536)
    return make_error(error::invalid_option,
                      "presence.max-id-size must be in [1, 65536]");
  if (result.max_metadata_entries > 65536)
    return make_error(error::invalid_option,
                      "presence.max-metadata-entries must be at most 65536");
  if (result.max_metadata_size > (size_t{1} << 30))
    return make_error(error::invalid_option,
                      "presence.max-metadata-size must be at most 1 GiB");
  result.idle_timeout = caf::get_or(cfg, "presence.idle-timeout",
                                    result.idle_timeout);
  if (result.idle_timeout.count() < 0)
    return make_error(error::invalid_option,
                      "presence.idle-timeout must not be negative");
  // Read by the scheduler when the system starts (it clamps, since it cannot
  // fail the system); reported here so that a typo does not go unnoticed.
  auto spin = caf::get_or(cfg, "presence.scheduler-spin",
                          caf::timespan{detail::default_scheduler_spin});
  if (spin.count() < 0 || spin > std::chrono::milliseconds(10))
    return make_error(error::invalid_option,
                      "presence.scheduler-spin must be in [0, 10ms]");
  auto max_sessions = caf::get_or(cfg, "presence.max-sessions", int64_t{0});
  if (max_sessions < 0 || max_sessions > max_sessions_limit)
    return make_error(error::invalid_policy,
                      "presence.max-sessions must be in [0, "
                        + std::to_string(max_sessions_limit) + "]");
  result.policy.max_sessions = static_cast<int32_t>(max_sessions);
  result.policy.one_per_device = caf::get_or(
    cfg, "presence.one-session-per-device", false);
  auto action = parse_limit_action(
    caf::get_or(cfg, "presence.on-session-limit", std::string{"replace"}));
  if (!action)
    return std::move(action.error());
  result.policy.on_limit = *action;
  result.buffer_per_user = caf::get_or(cfg, "presence.offline-buffer-size",
                                       result.buffer_per_user);
  result.buffer_ttl = caf::get_or(cfg, "presence.offline-buffer-ttl",
                                  result.buffer_ttl);
  result.buffer_max_bytes = caf::get_or(cfg, "presence.offline-buffer-bytes",
                                        result.buffer_max_bytes);
  if (result.buffer_per_user > 65536)
    return make_error(error::invalid_option,
                      "presence.offline-buffer-size must be at most 65536");
  if (result.buffer_ttl.count() <= 0)
    return make_error(error::invalid_option,
                      "presence.offline-buffer-ttl must be positive");
  if (result.buffer_max_bytes > (size_t{1} << 40))
    return make_error(error::invalid_option,
                      "presence.offline-buffer-bytes must be at most 1 TiB");
  return result;
}

} // namespace presence

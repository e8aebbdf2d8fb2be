#include "presence/config.hpp"

#include <typeindex>

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/message.hpp>
#include <caf/settings.hpp>

#include "presence/error.hpp"
#include "presence/type_ids.hpp"

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
                 "call batches a facade has in flight to the registry (2)");
}

void configure(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::presence>();
  cfg.add_error_category(error_category,
                         [](uint8_t code, caf::atom_value,
                            const caf::message& ctx) {
                           auto str = "presence::" + to_string(
                                        static_cast<error>(code));
                           if (ctx.match_elements<std::string>())
                             str += " (" + ctx.get_as<std::string>(0) + ")";
                           return str;
                         });
  add_options(cfg.*options_access::member);
  // Measured (docs/design.md): the work-sharing scheduler is what lets one
  // registry reach a million distinct user actors in about a second; the
  // default work-stealing policy took over a minute. An explicit choice by the
  // application, in code or later on the command line, wins.
  if (caf::get_if(&cfg.content, "scheduler.policy") == nullptr)
    cfg.set("scheduler.policy", caf::atom("sharing"));
}

config::config() {
  configure(*this);
}

caf::expected<settings> read_settings(const caf::actor_system& sys) {
  auto& cfg = sys.config();
  if (cfg.type_names_by_rtti.count(std::type_index(typeid(online_user))) == 0)
    return make_error(error::system_not_configured);
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
  return result;
}

} // namespace presence

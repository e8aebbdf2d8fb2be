#pragma once

// Where the registry sends an operation's outcome: a response promise for a
// typed request, or a ticket in a facade client's batched results.

#include <cstdint>

#include <caf/response_promise.hpp>

namespace presence::detail {

struct reply_target {
  static constexpr uint32_t no_client = UINT32_MAX;
  /// Index into the registry's client table, or no_client.
  uint32_t client = no_client;
  uint64_t ticket = 0;
  caf::response_promise promise;
};

} // namespace presence::detail

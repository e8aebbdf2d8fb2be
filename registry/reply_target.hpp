#pragma once

// Where the registry sends an operation's outcome: a response promise for a
// typed request, a ticket in a facade client's batched results, or a part
// of a forwarded write.

#include <cstdint>

#include <caf/response_promise.hpp>

namespace presence::detail {

struct reply_target {
  static constexpr uint32_t no_client = UINT32_MAX;
  /// The answer is one part of a forwarded write: `ticket` is its id in
  /// forwarded_writes, which completes the caller once all parts answered.
  static constexpr uint32_t merge_client = UINT32_MAX - 1;
  /// Index into the registry's client table, no_client or merge_client.
  uint32_t client = no_client;
  uint64_t ticket = 0;
  caf::response_promise promise;
};

} // namespace presence::detail

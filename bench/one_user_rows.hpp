#pragma once

// The one-user rows U1-U3: many sessions on one login id.

#include <cstddef>

#include "bench/options.hpp"

namespace bench {

/// U1-U3: `k` logins with distinct tokens on one login id through the
/// facade, all issued before any answer (U1) and each waited for (U2). Every
/// login but the first waits for the user's actor, so pipelined calls park
/// behind each other; pipelined must not be slower than one by one. U3 then
/// logs U1's sessions out one by one token, oldest first, pipelined.
void run_one_user_rows(size_t k, const options& opts);

} // namespace bench

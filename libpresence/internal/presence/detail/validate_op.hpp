#pragma once

// Validating a whole internal operation, for the registry's entry points
// that do not come from its own facade. Not installed.

#include <caf/error.hpp>

#include "presence/detail/protocol.hpp"
#include "presence/validation.hpp"

namespace presence {

/// The one validator: checks a whole operation, whatever its kind, the way
/// the facade checks the call that makes it. An operation no client may send
/// (an idle expiry, an unknown kind, a kick without a KickOut message) is
/// `malformed_message`.
caf::error validate_op(const detail::client_op& op, const limits& lim);

} // namespace presence

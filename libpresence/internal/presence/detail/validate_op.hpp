#pragma once

// Validating an operation that arrives built, for the registry's entry points
// that are not its own facade. Not installed.

#include <caf/error.hpp>

#include "presence/detail/client_calls.hpp"
#include "presence/detail/protocol.hpp"
#include "presence/validation.hpp"

namespace presence {

/// Checks a built operation through the call struct of its kind
/// (client_calls.hpp), as the facade checks the call that makes it, and if
/// it passes sets its login hash (one from outside is not trusted: a wrong
/// one would file a user where no lookup finds it). An operation no client
/// may send (an unknown kind, a kick without a KickOut message) is
/// `malformed_message`.
caf::error validate_op(detail::client_op& op, const limits& lim);

/// Takes in an operation as it reaches the registry: sets where it came from
/// (`op.source`) and validates it if that origin calls for it.
caf::error receive_op(detail::client_op& op, origin from, const limits& lim);

} // namespace presence

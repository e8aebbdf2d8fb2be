// Checking operations that arrive built (typed requests, foreign batches)
// with the call structs the facade checks its calls with.

#include "presence/detail/client_calls.hpp"

#include <string>

#include "presence/detail/validate_op.hpp"

namespace presence {

namespace {

using detail::client_op;
using detail::op_kind;

/// Calls `f` with the call struct of `op`'s kind, made over `op`'s own
/// fields; false for a number that is no client operation's kind.
template <class F>
bool with_call_of(client_op& op, F&& f) {
  using namespace detail;
  auto& user = op.user;
  switch (op.kind) {
    case op_kind::mark_online: {
      mark_online_call x{user, op.has_policy ? &op.policy : nullptr};
      f(x);
      return true;
    }
    case op_kind::mark_offline:
    case op_kind::update_activity: {
      session_call x{op.kind, user.login_id, &user.token};
      f(x);
      return true;
    }
    case op_kind::mark_offline_all: {
      session_call x{op.kind, user.login_id};
      f(x);
      return true;
    }
    case op_kind::mark_offline_users: {
      logout_users_call x{op.login_ids};
      f(x);
      return true;
    }
    case op_kind::update_metadata: {
      metadata_call x{user.login_id, user.token, user.metadata};
      f(x);
      return true;
    }
    case op_kind::push_user: {
      push_call x{user.login_id, op.message};
      f(x);
      return true;
    }
    case op_kind::push_users: {
      push_users_call x{op.login_ids, op.message};
      f(x);
      return true;
    }
    case op_kind::broadcast: {
      broadcast_call x{op.message};
      f(x);
      return true;
    }
    case op_kind::kick: {
      auto x = kick_call::user(user.login_id, op.message);
      f(x);
      return true;
    }
    case op_kind::kick_session: {
      auto x = kick_call::session(user.login_id, user.token, op.message);
      f(x);
      return true;
    }
    case op_kind::kick_device: {
      auto x = kick_call::device_type(user.login_id, user.device, op.message);
      f(x);
      return true;
    }
    case op_kind::subscribe:
    case op_kind::unsubscribe:
    case op_kind::subscribe_events:
    case op_kind::unsubscribe_events: {
      member_call x{op.kind, op.actor};
      f(x);
      return true;
    }
  }
  return false;
}

} // namespace

caf::error validate_op(client_op& op, const limits& lim) {
  // Not trusted even for a refused operation: the registry prefetches by it.
  op.login_hash = 0;
  caf::error err;
  auto known = with_call_of(op, [&](auto& call) {
    err = detail::check_call(call, lim);
    if (!err) {
      call.prepare();
      op.login_hash = call.hash;
    }
  });
  if (!known)
    return make_error(error::malformed_message,
                      "unknown operation kind (operation kind "
                        + std::to_string(static_cast<int>(op.kind)) + ")");
  return err;
}

caf::error receive_op(client_op& op, origin from, const limits& lim) {
  op.source = from;
  if (!needs_validation(op.source))
    return caf::none;
  return validate_op(op, lim);
}

} // namespace presence

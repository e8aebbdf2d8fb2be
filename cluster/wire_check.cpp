#include "cluster/wire_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include <caf/message.hpp>

#include "presence/error.hpp"

namespace presence::cluster {

namespace {

/// The text of a presence error: its context if it has one, else the code's
/// name.
std::string what_of(const caf::error& err) {
  auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return to_string(static_cast<error>(err.code()));
}

/// `err` with the same code, its text prefixed by the field's place in the
/// message, so a dropped message's log names the field.
caf::error at(std::string where, const caf::error& err) {
  if (!err || err.category() != error_category)
    return err;
  return make_error(static_cast<error>(err.code()),
                    std::move(where) + ": " + what_of(err));
}

caf::error malformed(std::string what) {
  return make_error(error::malformed_message, std::move(what));
}

std::string index_of(const char* field, size_t i) {
  return std::string{field} + "[" + std::to_string(i) + "]";
}

} // namespace

caf::error check_owner(const std::string& owner, const limits& lim) {
  if (owner.empty())
    return malformed("owner: empty node name");
  if (owner.size() > lim.max_id_size)
    return make_error(error::field_too_long,
                      "owner: " + std::to_string(owner.size())
                        + " bytes > presence.max-id-size ("
                        + std::to_string(lim.max_id_size) + ")");
  if (!is_valid_utf8(owner))
    return make_error(error::invalid_utf8, "owner is not valid UTF-8");
  return caf::none;
}

caf::error check_session(const replica_session& x, const limits& lim) {
  if (auto err = validate_session_key(x.login_id, x.token, lim))
    return err;
  if (auto err = validate_device(x.device, lim))
    return err;
  return validate_metadata(x.metadata, lim);
}

caf::error check_op(const session_op& x, const limits& lim) {
  auto kind = static_cast<uint8_t>(x.kind);
  if (kind >= op_kind_count)
    return malformed("kind: " + std::to_string(kind) + " is no op kind");
  if (x.kind == op_kind::upsert)
    return at("session", check_session(x.session, lim));
  // A removal is only its key on the wire (replication.hpp), so the rest
  // arrives empty; checked anyway for values made in this process.
  auto& s = x.session;
  if (auto err = validate_session_key(s.login_id, s.token, lim))
    return at("session", err);
  if (!s.device.empty())
    if (auto err = validate_device(s.device, lim))
      return at("session", err);
  return at("session", validate_metadata(s.metadata, lim));
}

caf::error check_delta(const owner_delta& x, const limits& lim) {
  if (auto err = check_owner(x.owner, lim))
    return err;
  if (x.seq == 0)
    return malformed("seq: 0 in a delta (the first change is seq 1)");
  if (x.ops.empty())
    return malformed("ops: empty delta");
  if (x.ops.size() > max_ops_per_delta)
    return malformed("ops: " + std::to_string(x.ops.size())
                     + " > max_ops_per_delta ("
                     + std::to_string(max_ops_per_delta) + ")");
  for (size_t i = 0; i < x.ops.size(); ++i)
    if (auto err = check_op(x.ops[i], lim))
      return at(index_of("ops", i), err);
  return caf::none;
}

caf::error check_chunk(const snapshot_chunk& x, const limits& lim) {
  if (auto err = check_owner(x.owner, lim))
    return err;
  if (x.sessions.size() > max_sessions_per_chunk)
    return malformed("sessions: " + std::to_string(x.sessions.size())
                     + " > max_sessions_per_chunk ("
                     + std::to_string(max_sessions_per_chunk) + ")");
  if (x.sessions.empty() && !x.last)
    return malformed("sessions: empty chunk that is not the last");
  for (size_t i = 0; i < x.sessions.size(); ++i)
    if (auto err = check_session(x.sessions[i], lim))
      return at(index_of("sessions", i), err);
  return caf::none;
}

} // namespace presence::cluster

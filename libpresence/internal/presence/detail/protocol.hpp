#pragma once

// Messages between presence's own actors: the facade's client actor and the
// registry, the registry and the user actors. Not part of the public API, but
// serialisable like everything else that crosses an actor boundary.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>
#include <caf/timestamp.hpp>

#include "presence/login_policy.hpp"
#include "presence/online_user.hpp"
#include "presence/push_message.hpp"
#include "presence/results.hpp"
#include "presence/validation.hpp"

namespace presence::detail {

// The internal messages' atoms (the public ones are in presence/atoms.hpp).
using batch_atom = caf::atom_constant<caf::atom("pBatch")>;
using results_atom = caf::atom_constant<caf::atom("pResults")>;
using apply_atom = caf::atom_constant<caf::atom("pApply")>;
using join_atom = caf::atom_constant<caf::atom("pJoin")>;
using flush_atom = caf::atom_constant<caf::atom("pFlush")>;
using reap_atom = caf::atom_constant<caf::atom("pReap")>;
using expire_atom = caf::atom_constant<caf::atom("pExpire")>;
using sweep_atom = caf::atom_constant<caf::atom("pSweep")>;
using tick_atom = caf::atom_constant<caf::atom("pTick")>;
using timeout_atom = caf::atom_constant<caf::atom("pTimeout")>;
using pushed_atom = caf::atom_constant<caf::atom("pPushed")>;
using trim_atom = caf::atom_constant<caf::atom("pTrim")>;

enum class op_kind : uint8_t {
  mark_online,
  mark_offline,
  mark_offline_all,
  update_activity,
  push_user,
  push_users,
  broadcast,
  kick,
  subscribe,
  unsubscribe,
  kick_session,
  kick_device,
  update_metadata,
  subscribe_events,
  unsubscribe_events,
  /// Every session of each user in `login_ids` (mark_offline_users).
  mark_offline_users,
};

/// What a user actor's update answers: a forwarded login, or an idle check
/// (sessions it took offline after the idle timeout). Only a user actor
/// starts an expiry, so it is no client operation.
enum class update_kind : uint8_t {
  join,
  expire,
};

/// The hash the registry's user table files a login id under.
inline size_t login_hash_of(const std::string& login_id) noexcept {
  return std::hash<std::string>{}(login_id);
}

/// One facade call. `user` carries the session for mark_online and the
/// login id / token for every other per-user operation.
struct client_op {
  /// Opaque to the registry; echoed back in the op_result.
  uint64_t ticket = 0;
  op_kind kind = op_kind::mark_online;
  online_user user;
  std::vector<std::string> login_ids;
  push_message message;
  /// The pusher or event subscriber for (un)subscribe.
  caf::actor actor;
  /// The login policy for this mark_online; the configured one if unset.
  login_policy policy;
  bool has_policy = false;
  /// Where the operation came from, which decides whether the registry
  /// validates it. Not serialised: the registry sets it on receipt, so no
  /// sender can claim to be trusted (until then it says the least trusted).
  /// Kept with the operation for what a cluster decides by it later (whether
  /// to forward a write to its owner, or answer a peer).
  origin source = origin::foreign_batch;
  /// login_hash_of(user.login_id), or 0 if not computed yet. The facade
  /// computes it on the caller's thread, outside its lock, so that the
  /// registry's thread (the bottleneck of W3/W4) hashes no login id twice or
  /// at all. Not serialised: a registry on another node computes its own.
  size_t login_hash = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_op& x) {
  return f(caf::meta::type_name("presence::detail::client_op"), x.ticket,
           x.kind, x.user, x.login_ids, x.message, x.actor, x.policy,
           x.has_policy);
}

struct client_batch {
  /// The facade's client actor, which receives the results.
  caf::actor reply_to;
  std::vector<client_op> ops;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_batch& x) {
  return f(caf::meta::type_name("presence::detail::client_batch"), x.reply_to,
           x.ops);
}

struct op_result {
  uint64_t ticket = 0;
  caf::error err;
  change_result change;
  delivery_report report;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, op_result& x) {
  return f(caf::meta::type_name("presence::detail::op_result"), x.ticket,
           x.err, x.change, x.report);
}

/// Emptied batch vectors the registry hands back in one client_results
/// (client_results::spares). The facade keeps as many as its window can
/// have in flight (manager_core::max_spares).
constexpr size_t max_spare_batches = 64;

struct client_results {
  /// Client batches the registry has fully processed since the last message;
  /// lets the facade keep a bounded number of batches in flight.
  uint32_t batches_done = 0;
  std::vector<op_result> results;
  /// Processed batches' vectors, emptied, handed back so the facade can fill
  /// them again without growing fresh ones call by call. Not serialised: a
  /// remote facade grows its own.
  std::vector<std::vector<client_op>> spares;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_results& x) {
  return f(caf::meta::type_name("presence::detail::client_results"),
           x.batches_done, x.results);
}

/// A change the registry asks a user actor to apply. With ticket 0 the
/// registry has already applied it to its table (see docs/design.md) and
/// wants no answer.
struct user_command {
  uint64_t ticket = 0;
  op_kind kind = op_kind::mark_online;
  online_user session;
  /// For mark_online: the policy the user actor enforces.
  login_policy policy;
  /// For mark_online in a cluster, under a policy: the user's sessions other
  /// nodes own (token, device, connect_time, node), which the policy counts
  /// too (docs/design.md, "Login policies in a cluster").
  std::vector<online_user> others;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user_command& x) {
  return f(caf::meta::type_name("presence::detail::user_command"), x.ticket,
           x.kind, x.session, x.policy, x.others);
}

/// A user actor's answer: the outcome of the command it applied, and the
/// command itself, which the registry then applies to its table. With ticket
/// 0 and kind `expire` it answers an idle check: `tokens` timed out, and
/// `next_check` says when to ask again.
struct user_update {
  uint64_t ticket = 0;
  /// mark_online: the outcome for the caller (an expiry has no caller).
  change_result result;
  update_kind kind = update_kind::join;
  online_user session;
  /// mark_online: sessions a login policy replaced. expire: expired sessions.
  std::vector<std::string> tokens;
  /// mark_online: sessions of other nodes (user_command::others) the policy
  /// replaced; the registry has their owners kick them.
  std::vector<std::string> others;
  /// A login policy refused the session; nothing changed.
  caf::error err;
  /// expire: when the actor wants its next idle check (actor clock, since its
  /// epoch); zero when it has no session left.
  caf::timespan next_check{0};
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user_update& x) {
  return f(caf::meta::type_name("presence::detail::user_update"), x.ticket,
           x.result, x.kind, x.session, x.tokens, x.others, x.err,
           x.next_check);
}

} // namespace presence::detail

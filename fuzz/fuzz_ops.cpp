// The registry fuzz target's operations: fuzz bytes become messages for the
// registry as any holder of its handle could send them: typed requests,
// internal client batches (`detail::batch_atom`), forged user updates and the
// internal timer atoms, reached with caf::actor_cast. Each operation records
// what the model should see; fuzz_driver.cpp checks the answers.

#include "fuzz/fuzz_driver.hpp"

namespace presence::fuzz {

namespace {

// Issue 12, defects 1 and 2 (fixed): a client batch with an empty reply_to
// crashed the registry, and operations inside a batch from any sender skipped
// validation. The target now sends both: a batch with no one to answer must
// be rejected without a crash, and invalid operations must fail with the
// model's error. Setting this to true avoids exactly those inputs again.
constexpr bool avoid_unvalidated_batches = false;

using apply_fn = std::function<model::outcome(model::reference_model&)>;

expected_answer change(bool lenient, apply_fn apply, const char* what) {
  expected_answer ex;
  ex.apply = std::move(apply);
  ex.lenient = lenient;
  ex.what = what;
  return ex;
}

expected_answer push(bool lenient, apply_fn apply, const char* what) {
  auto ex = change(lenient, std::move(apply), what);
  ex.is_push = true;
  return ex;
}

} // namespace

online_user driver::user(reader& in) {
  online_user u;
  u.login_id = in.login();
  u.token = in.token();
  u.device = in.device();
  if (in.flag())
    u.metadata = in.metadata();
  // Distinct, nonzero connect times decide which session is "oldest".
  u.connect_time = caf::timestamp{caf::timespan{1 + in.byte()}};
  u.last_activity = u.connect_time;
  return u;
}

void driver::typed_op(reader& in, uint8_t kind) {
  using std::string;
  switch (kind) {
    case 0: {
      auto u = user(in);
      request(change(lenient_user(u),
                     [u](auto& x) { return x.mark_online(u, login_policy{}); },
                     "mark_online"),
              mark_online_atom::value, u);
      break;
    }
    case 1: {
      auto u = user(in);
      auto p = in.policy();
      request(change(lenient_user(u),
                     [u, p](auto& x) { return x.mark_online(u, p); },
                     "mark_online(policy)"),
              mark_online_atom::value, u, p);
      break;
    }
    case 2: {
      auto id = in.login();
      auto tok = in.token();
      request(change(unusual(id) || unusual(tok),
                     [id, tok](auto& x) { return x.mark_offline(id, tok); },
                     "mark_offline"),
              mark_offline_atom::value, id, tok);
      break;
    }
    case 3: {
      auto id = in.login();
      request(change(unusual(id),
                     [id](auto& x) { return x.mark_offline_all(id); },
                     "mark_offline_all"),
              mark_offline_all_atom::value, id);
      break;
    }
    case 4: {
      auto id = in.login();
      auto tok = in.token();
      request(change(unusual(id) || unusual(tok),
                     [id, tok](auto& x) { return x.update_activity(id, tok); },
                     "update_activity"),
              update_activity_atom::value, id, tok);
      break;
    }
    case 5: {
      auto id = in.login();
      auto tok = in.token();
      auto md = in.metadata();
      request(change(unusual(id) || unusual(tok) || unusual(md),
                     [id, tok, md](auto& x) {
                       return x.update_metadata(id, tok, md);
                     },
                     "update_metadata"),
              update_metadata_atom::value, id, tok, md);
      break;
    }
    case 6: {
      auto id = in.login();
      auto msg = in.message();
      pushed_to_.insert(id);
      request(push(unusual(id) || lenient_msg(msg),
                   [id, msg](auto& x) { return x.push_user(id, msg); },
                   "push"),
              push_atom::value, id, msg);
      break;
    }
    case 7: {
      std::vector<string> ids;
      bool odd = false;
      for (auto n = in.byte() % 4; n > 0; --n) {
        ids.push_back(in.login());
        odd = odd || unusual(ids.back());
      }
      auto msg = in.message();
      pushed_to_.insert(ids.begin(), ids.end());
      // Routed with each user's sessions as the table has them on arrival
      // (no parking across users): every earlier call must have landed.
      settle();
      request(push(odd || lenient_msg(msg),
                   [ids, msg](auto& x) { return x.push_users(ids, msg); },
                   "push(many)"),
              push_atom::value, ids, msg);
      break;
    }
    case 8: {
      auto msg = in.message();
      settle();
      request(push(lenient_msg(msg),
                   [msg](auto& x) { return x.broadcast(msg); }, "broadcast"),
              broadcast_atom::value, msg);
      break;
    }
    case 9: {
      auto id = in.login();
      auto why = in.raw(6);
      request(push(unusual(id) || unusual(why),
                   [id, why](auto& x) { return x.kick(id, why); }, "kick"),
              kick_atom::value, id, why);
      break;
    }
    case 10: {
      auto id = in.login();
      auto tok = in.token();
      auto why = in.raw(6);
      request(push(unusual(id) || unusual(tok) || unusual(why),
                   [id, tok, why](auto& x) {
                     return x.kick_session(id, tok, why);
                   },
                   "kick_session"),
              kick_session_atom::value, id, tok, why);
      break;
    }
    default: {
      auto id = in.login();
      auto dev = in.device();
      auto why = in.raw(6);
      request(push(unusual(id) || unusual(dev) || unusual(why),
                   [id, dev, why](auto& x) {
                     return x.kick_device(id, dev, why);
                   },
                   "kick_device"),
              kick_device_atom::value, id, dev, why);
      break;
    }
  }
}

/// A client batch as the facade would send it, from this (foreign) actor.
/// Operations on single users are compared with the model; pushes to many
/// users and broadcasts may overtake calls parked on a user within one batch
/// (README: order holds per user), so only their answer is checked.
void driver::batch_op(reader& in) {
  detail::client_batch batch;
  batch.reply_to = caf::actor_cast<caf::actor>(self_);
  std::vector<expected_answer> expects;
  for (auto n = 1 + in.byte() % 6; n > 0; --n) {
    detail::client_op op;
    op.ticket = next_ticket_++;
    auto k = in.byte() % 18;
    op.kind = static_cast<detail::op_kind>(k);
    expected_answer ex;
    ex.ticket = op.ticket;
    ex.what = "batch op";
    switch (op.kind) {
      case detail::op_kind::mark_online: {
        op.user = user(in);
        op.has_policy = in.flag();
        if (op.has_policy)
          op.policy = in.policy();
        auto u = op.user;
        auto p = op.has_policy ? op.policy : login_policy{};
        ex.apply = [u, p](auto& x) { return x.mark_online(u, p); };
        ex.lenient = lenient_user(u);
        break;
      }
      case detail::op_kind::mark_offline:
      case detail::op_kind::update_activity:
      case detail::op_kind::mark_offline_all: {
        op.user.login_id = in.login();
        op.user.token = in.token();
        auto id = op.user.login_id;
        auto tok = op.user.token;
        auto kind = op.kind;
        ex.apply = [id, tok, kind](auto& x) {
          return kind == detail::op_kind::mark_offline ? x.mark_offline(id, tok)
                 : kind == detail::op_kind::update_activity
                   ? x.update_activity(id, tok)
                   : x.mark_offline_all(id);
        };
        ex.lenient = unusual(id) || unusual(tok);
        break;
      }
      case detail::op_kind::mark_offline_users: {
        for (auto i = in.byte() % 4; i > 0; --i)
          op.login_ids.push_back(in.login());
        auto ids = op.login_ids;
        ex.apply = [ids](auto& x) { return x.mark_offline_users(ids); };
        for (auto& id : ids)
          ex.lenient = ex.lenient || unusual(id);
        break;
      }
      case detail::op_kind::update_metadata: {
        op.user.login_id = in.login();
        op.user.token = in.token();
        op.user.metadata = in.metadata();
        auto u = op.user;
        ex.apply = [u](auto& x) {
          return x.update_metadata(u.login_id, u.token, u.metadata);
        };
        ex.lenient = lenient_user(u);
        break;
      }
      case detail::op_kind::push_user: {
        op.user.login_id = in.login();
        op.message = in.message();
        auto id = op.user.login_id;
        auto msg = op.message;
        pushed_to_.insert(id);
        ex.apply = [id, msg](auto& x) { return x.push_user(id, msg); };
        ex.lenient = unusual(id) || lenient_msg(msg);
        ex.is_push = true;
        break;
      }
      case detail::op_kind::kick:
      case detail::op_kind::kick_session:
      case detail::op_kind::kick_device: {
        op.user.login_id = in.login();
        op.user.token = in.token();
        op.user.device = in.device();
        op.message = make_kick_out_message(in.raw(6));
        auto u = op.user;
        auto why = op.message.content;
        auto kind = op.kind;
        ex.apply = [u, why, kind](auto& x) {
          return kind == detail::op_kind::kick ? x.kick(u.login_id, why)
                 : kind == detail::op_kind::kick_session
                   ? x.kick_session(u.login_id, u.token, why)
                   : x.kick_device(u.login_id, u.device, why);
        };
        ex.lenient = lenient_user(u) || unusual(why);
        ex.is_push = true;
        break;
      }
      case detail::op_kind::push_users:
      case detail::op_kind::broadcast: {
        for (auto i = in.byte() % 3; i > 0; --i)
          op.login_ids.push_back(in.login());
        op.message = in.message();
        // Not kept: a buffered message would make the model's buffer
        // depend on which user calls this push overtook.
        op.message.keep_if_offline = false;
        ex.compared = false;
        break;
      }
      default: {
        // (Un)subscribe with no actor, expire, or no operation at all:
        // answered with an error, nothing changes.
        auto b = in.byte();
        op.kind = static_cast<detail::op_kind>(
          b < 128 ? 8 + b % 2 : b < 192 ? 13 + b % 2 : 16 + b % 240);
        ex.compared = false;
        break;
      }
    }
    if (avoid_unvalidated_batches && ex.apply) {
      model::reference_model copy = m_;
      auto code = static_cast<error>(ex.apply(copy).err);
      if (code != error::none && code != error::too_many_sessions
          && code != error::device_taken)
        continue;
    }
    expects.push_back(std::move(ex));
    batch.ops.push_back(std::move(op));
  }
  if (expects.empty())
    return;
  auto dst = caf::actor_cast<caf::actor>(reg_);
  if (!avoid_unvalidated_batches && in.byte() == 0) {
    // No one to answer: the registry must reject the batch and live on (a
    // query behind it proves it). Sent into a settled registry, as before.
    batch.reply_to = caf::actor{};
    settle();
    post([this, dst, batch]() mutable {
      self_->send(dst, detail::batch_atom::value, std::move(batch));
    });
    barrier();
    return;
  }
  post([this, dst, batch]() mutable {
    self_->send(dst, detail::batch_atom::value, std::move(batch));
  });
  // Results come back by ticket, in any grouping; checked in call order,
  // which per user is the order they took effect.
  for (auto& ex : expects)
    pending_.push_back(std::move(ex));
}

/// Messages only the registry's own actors should send: they must change
/// nothing when they come from anyone else. Sent into a settled registry (no
/// call in flight), as when every operation was awaited; a query behind them
/// proves the registry took them, and the model checks that they changed
/// nothing.
void driver::internal_op(reader& in) {
  settle();
  auto dst = caf::actor_cast<caf::actor>(reg_);
  switch (in.byte() % 6) {
    case 0: {
      detail::user_update u;
      u.ticket = in.byte();
      u.kind = static_cast<detail::update_kind>(in.byte() % 3);
      u.session.login_id = in.login();
      u.session.token = in.token();
      if (in.flag())
        u.tokens.push_back(in.token());
      u.result.status = static_cast<change_status>(in.byte() % 12);
      u.next_check = caf::timespan{in.byte()};
      post([this, dst, u]() mutable { self_->send(dst, std::move(u)); });
      break;
    }
    case 1:
      post([this, dst] { self_->send(dst, detail::flush_atom::value); });
      break;
    case 2:
      post([this, dst] { self_->send(dst, detail::reap_atom::value); });
      break;
    case 3:
      post([this, dst] { self_->send(dst, detail::sweep_atom::value); });
      break;
    case 4:
      post([this, dst] { self_->send(dst, detail::tick_atom::value); });
      break;
    default:
      post([this, dst] { self_->send(dst, detail::timeout_atom::value); });
      break;
  }
  barrier();
}

} // namespace presence::fuzz

// Messages anyone holding the registry's handle can send: internal messages
// reached with actor_cast, forged batches, stray timer atoms and garbage. The
// registry must reject or ignore them (counted), never crash, and validate
// every operation that does not come from its own facade.

#include "deterministic.hpp"

// A namespace per test file: the tests build in unity batches.
namespace forged_input_tests {

using namespace presence;
using namespace test;

namespace {

using detail::client_batch;
using detail::client_op;
using detail::client_results;
using detail::op_kind;

caf::actor untyped(const registry_actor& reg) {
  return caf::actor_cast<caf::actor>(reg);
}

/// The error a request is answered with (a value counts as a failure).
template <class... Ts>
caf::error request_error(caf::scoped_actor& self, const caf::actor& dest,
                         Ts&&... xs) {
  auto result = caf::make_error(caf::sec::bad_function_call, "no answer");
  self->request(dest, std::chrono::seconds(20), std::forward<Ts>(xs)...)
    .receive(
      [&] {
        result = caf::make_error(caf::sec::bad_function_call, "empty answer");
      },
      [&](caf::error& err) { result = std::move(err); });
  return result;
}

uint64_t rejected(caf::scoped_actor& self, const registry_actor& reg) {
  return ok(ask<presence_stats>(self, reg, stats_atom::value)).rejected;
}

client_op op_of(op_kind kind, std::string login_id, std::string token = {}) {
  client_op op;
  op.kind = kind;
  op.user.login_id = std::move(login_id);
  op.user.token = std::move(token);
  op.user.device = "web";
  return op;
}

/// Sends `ops` as a batch whose reply address is `self` itself (a foreign
/// client) and returns the results, ordered by ticket.
std::vector<detail::op_result> foreign_batch(caf::scoped_actor& self,
                                             const registry_actor& reg,
                                             std::vector<client_op> ops) {
  for (size_t i = 0; i < ops.size(); ++i)
    ops[i].ticket = i + 1;
  auto n = ops.size();
  self->send(untyped(reg), detail::batch_atom::value,
             client_batch{caf::actor_cast<caf::actor>(self), std::move(ops)});
  std::vector<detail::op_result> results;
  bool timed_out = false;
  while (results.size() < n && !timed_out)
    self->receive(
      [&](detail::results_atom, client_results& rs) {
        for (auto& r : rs.results)
          results.push_back(std::move(r));
      },
      caf::after(std::chrono::seconds(20)) >> [&] { timed_out = true; });
  REQUIRE(results.size() == n);
  std::sort(results.begin(), results.end(),
            [](auto& x, auto& y) { return x.ticket < y.ticket; });
  return results;
}

} // namespace

TEST_CASE("a batch with an empty reply address is rejected, not a crash",
          "[forged][bad-input]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  auto reg = m.registry();
  caf::scoped_actor self{e.sys};
  std::vector<client_op> ops{op_of(op_kind::mark_online, "mallory", "t")};
  // One-way, from nobody and from an actor.
  caf::anon_send(untyped(reg), detail::batch_atom::value,
                 client_batch{caf::actor{}, ops});
  self->send(untyped(reg), detail::batch_atom::value,
             client_batch{caf::actor{}, ops});
  // As a request: answered with malformed_message.
  CHECK_PRESENCE_ERROR(request_error(self, untyped(reg),
                                     detail::batch_atom::value,
                                     client_batch{caf::actor{}, ops}),
                       malformed_message);
  CHECK(rejected(self, reg) == 3);
  // Nothing happened, and everybody else is still served.
  CHECK_FALSE(ok(m.is_online("mallory")));
  CHECK(ok(m.mark_online(user("bob", "t1"))).status == change_status::joined);
  CHECK(ok(m.get_online_count()) == 2u);
}

TEST_CASE("a batch whose reply address is not its sender is rejected",
          "[forged][bad-input]") {
  env e;
  online_manager m{e.sys};
  auto reg = m.registry();
  caf::scoped_actor self{e.sys};
  caf::scoped_actor victim{e.sys};
  std::vector<client_op> ops{op_of(op_kind::mark_online, "mallory", "t")};
  CHECK_PRESENCE_ERROR(
    request_error(self, untyped(reg), detail::batch_atom::value,
                  client_batch{caf::actor_cast<caf::actor>(victim), ops}),
    malformed_message);
  CHECK(rejected(self, reg) == 1);
  CHECK_FALSE(ok(m.is_online("mallory")));
  // The would-be reply address got nothing.
  bool got = false;
  victim->receive([&](caf::message&) { got = true; },
                  caf::after(std::chrono::milliseconds(0)) >> [] {});
  CHECK_FALSE(got);
}

TEST_CASE("a foreign batch is validated operation by operation",
          "[forged][bad-input]") {
  env e;
  online_manager m{e.sys};
  in_memory_pusher imp{e.sys};
  ok(m.register_pusher(imp));
  ok(m.mark_online(user("alice", "t1")));
  auto reg = m.registry();
  caf::scoped_actor self{e.sys};
  std::vector<client_op> ops;
  ops.push_back(op_of(op_kind::mark_online, "", "t"));
  ops.push_back(op_of(op_kind::mark_online, "eve", ""));
  auto push = op_of(op_kind::push_user, "alice");
  push.message = make_text_message("bad \xff");
  ops.push_back(push);
  ops.push_back(op_of(op_kind::mark_online, std::string(300, 'x'), "t"));
  // One past the last kind (mark_offline_users): no client operation.
  ops.push_back(op_of(static_cast<op_kind>(16), "alice", "t1"));
  auto nodevice = op_of(op_kind::mark_online, "eve", "t");
  nodevice.user.device.clear();
  ops.push_back(nodevice);
  auto text_kick = op_of(op_kind::kick, "alice");
  text_kick.message = make_text_message("not a kick");
  ops.push_back(text_kick);
  auto sub = op_of(op_kind::subscribe, "");
  ops.push_back(sub);
  // A valid one goes through.
  ops.push_back(op_of(op_kind::mark_online, "bob", "t1"));
  auto rs = foreign_batch(self, reg, std::move(ops));
  CHECK_PRESENCE_ERROR(rs[0].err, empty_login_id);
  CHECK_PRESENCE_ERROR(rs[1].err, empty_token);
  CHECK_PRESENCE_ERROR(rs[2].err, invalid_utf8);
  CHECK_PRESENCE_ERROR(rs[3].err, field_too_long);
  CHECK_PRESENCE_ERROR(rs[4].err, malformed_message);
  CHECK_PRESENCE_ERROR(rs[5].err, empty_device);
  CHECK_PRESENCE_ERROR(rs[6].err, malformed_message);
  CHECK_PRESENCE_ERROR(rs[7].err, invalid_pusher);
  CHECK_FALSE(rs[8].err);
  CHECK(rs[8].change.status == change_status::joined);
  m.sync();
  CHECK(sorted(ok(m.get_online_users()))
        == std::vector<std::string>{"alice", "bob"});
  CHECK(tokens_of(ok(m.get_user_sessions("alice")))
        == std::vector<std::string>{"t1"});
  CHECK(ok(imp.get_messages("alice")).empty());
}

TEST_CASE("a foreign batch cannot file a user under a wrong hash",
          "[forged][bad-input]") {
  env e;
  online_manager m{e.sys};
  auto reg = m.registry();
  caf::scoped_actor self{e.sys};
  auto op = op_of(op_kind::mark_online, "alice", "t1");
  op.login_hash = 12345;
  auto rs = foreign_batch(self, reg, {op});
  CHECK_FALSE(rs[0].err);
  CHECK(ok(ask<bool>(self, reg, is_online_atom::value, std::string{"alice"})));
  CHECK(ok(m.mark_online(user("alice", "t2"))).status
        == change_status::joined);
  CHECK(ok(m.get_online_count()) == 1u);
  CHECK(ok(m.get_session_count()) == 2u);
}

TEST_CASE("stray timer and internal messages cannot crash or corrupt the "
          "registry",
          "[forged][bad-input]") {
  // No offline buffer: a stray sweep once dereferenced a null buffer.
  env e{[](caf::actor_system_config& cfg) {
    cfg.set("presence.offline-buffer-size", 0);
  }};
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  auto reg = m.registry();
  auto h = untyped(reg);
  caf::scoped_actor self{e.sys};
  caf::anon_send(h, detail::sweep_atom::value);
  self->send(h, detail::sweep_atom::value);
  self->send(h, detail::tick_atom::value);
  self->send(h, detail::timeout_atom::value);
  self->send(h, detail::flush_atom::value);
  self->send(h, detail::reap_atom::value);
  // A forged idle-check answer expiring alice's session.
  detail::user_update u;
  u.kind = detail::update_kind::expire;
  u.session.login_id = "alice";
  u.tokens = {"t1"};
  u.next_check = caf::timespan{1};
  self->send(h, u);
  u.kind = static_cast<detail::update_kind>(200);
  self->send(h, u);
  // Garbage: unexpected types, as a request and one-way, and a bare error.
  CHECK_PRESENCE_ERROR(request_error(self, h, std::string{"garbage"}, 42),
                       malformed_message);
  self->send(h, std::string{"garbage"});
  self->send(h, caf::make_error(caf::sec::runtime_error));
  caf::anon_send(h, caf::make_error(caf::sec::runtime_error));
  // Still alive, nothing changed.
  CHECK(ok(m.mark_online(user("bob", "t1"))).status == change_status::joined);
  CHECK(tokens_of(ok(m.get_user_sessions("alice")))
        == std::vector<std::string>{"t1"});
  CHECK(ok(m.get_online_count()) == 2u);
  CHECK(rejected(self, reg) == 12);
}

TEST_CASE("the facade, typed requests and foreign batches refuse bad input "
          "alike",
          "[forged][bad-input]") {
  // The same bad input through each entry point: the same error, code and
  // text (one call struct checks it everywhere, client_calls.hpp).
  env e;
  online_manager m{e.sys};
  auto reg = m.registry();
  caf::scoped_actor self{e.sys};
  struct entry {
    error code;
    caf::error facade;
    caf::error typed;
    client_op foreign;
  };
  std::vector<entry> xs;
  auto long_id = std::string(257, 'a');
  {
    auto op = op_of(op_kind::mark_online, long_id, "t");
    xs.push_back({error::field_too_long,
                  err_of(m.mark_online(user(long_id, "t"))),
                  err_of(ask<change_result>(self, reg, mark_online_atom::value,
                                            user(long_id, "t"))),
                  op});
  }
  {
    auto op = op_of(op_kind::mark_online, "alice", "t");
    op.user.device.clear();
    xs.push_back({error::empty_device,
                  err_of(m.mark_online(user("alice", "t", ""))),
                  err_of(ask<change_result>(self, reg, mark_online_atom::value,
                                            user("alice", "t", ""))),
                  op});
  }
  {
    auto bad = login_policy{max_sessions_limit + 1, false,
                            limit_action::replace};
    auto op = op_of(op_kind::mark_online, "alice", "t");
    op.policy = bad;
    op.has_policy = true;
    xs.push_back({error::invalid_policy,
                  err_of(m.mark_online(user("alice", "t"), bad)),
                  err_of(ask<change_result>(self, reg, mark_online_atom::value,
                                            user("alice", "t"), bad)),
                  op});
  }
  {
    xs.push_back({error::empty_token, err_of(m.mark_offline("alice", "")),
                  err_of(ask<change_result>(self, reg, mark_offline_atom::value,
                                            std::string{"alice"},
                                            std::string{})),
                  op_of(op_kind::mark_offline, "alice", "")});
  }
  {
    metadata_map md{{"\xff", "v"}};
    auto op = op_of(op_kind::update_metadata, "alice", "t1");
    op.user.metadata = md;
    xs.push_back({error::invalid_utf8,
                  err_of(m.update_metadata("alice", "t1", md)),
                  err_of(ask<change_result>(self, reg,
                                            update_metadata_atom::value,
                                            std::string{"alice"},
                                            std::string{"t1"}, md)),
                  op});
  }
  {
    auto msg = make_notification("\xc3");
    auto op = op_of(op_kind::push_user, "alice");
    op.message = msg;
    xs.push_back({error::invalid_utf8,
                  err_of(m.push_message_to_user("alice", msg)),
                  err_of(ask<delivery_report>(self, reg, push_atom::value,
                                              std::string{"alice"}, msg)),
                  op});
  }
  {
    std::vector<std::string> ids{"alice", ""};
    auto msg = make_text_message("x");
    auto op = op_of(op_kind::push_users, "");
    op.login_ids = ids;
    op.message = msg;
    xs.push_back({error::empty_login_id,
                  err_of(m.push_message_to_users(ids, msg)),
                  err_of(ask<delivery_report>(self, reg, push_atom::value, ids,
                                              msg)),
                  op});
  }
  {
    auto msg = make_custom_message("", "x");
    auto op = op_of(op_kind::broadcast, "");
    op.message = msg;
    xs.push_back({error::empty_custom_type, err_of(m.broadcast_message(msg)),
                  err_of(ask<delivery_report>(self, reg, broadcast_atom::value,
                                              msg)),
                  op});
  }
  {
    auto reason = std::string(257, 'r');
    auto op = op_of(op_kind::kick, "alice");
    op.message = make_kick_out_message(reason);
    xs.push_back({error::field_too_long,
                  err_of(m.kick_out_notify("alice", reason)),
                  err_of(ask<delivery_report>(self, reg, kick_atom::value,
                                              std::string{"alice"}, reason)),
                  op});
  }
  {
    auto op = op_of(op_kind::kick_device, "alice");
    op.user.device.clear();
    op.message = make_kick_out_message("r");
    xs.push_back({error::empty_device,
                  err_of(m.kick_out_device("alice", "", "r")),
                  err_of(ask<delivery_report>(self, reg,
                                              kick_device_atom::value,
                                              std::string{"alice"},
                                              std::string{}, std::string{"r"})),
                  op});
  }
  {
    xs.push_back({error::invalid_pusher, err_of(m.register_pusher({})),
                  err_of(ask<change_result>(self, reg, subscribe_atom::value,
                                            pusher_actor{})),
                  op_of(op_kind::subscribe, "")});
  }
  std::vector<client_op> ops;
  for (auto& x : xs)
    ops.push_back(x.foreign);
  auto rs = foreign_batch(self, reg, std::move(ops));
  for (size_t i = 0; i < xs.size(); ++i) {
    INFO("case " << i << ": " << to_string(xs[i].code));
    CHECK(is(xs[i].facade, xs[i].code));
    CHECK(caf::to_string(xs[i].typed) == caf::to_string(xs[i].facade));
    CHECK(caf::to_string(rs[i].err) == caf::to_string(xs[i].facade));
  }
  CHECK(ok(m.get_online_count()) == 0u);
}

TEST_CASE("an operation kind that is not one is answered with an error") {
  deterministic t;
  detail::client_op op;
  op.ticket = 7;
  op.kind = static_cast<detail::op_kind>(200);
  t.send_batch({op});
  t.sched.run();
  bool answered = false;
  t.self->receive(
    [&](detail::results_atom, detail::client_results& r) {
      REQUIRE(r.results.size() == 1);
      CHECK(r.results[0].ticket == 7);
      CHECK_PRESENCE_ERROR(r.results[0].err, malformed_message);
      answered = true;
    },
    caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK(answered);
}

} // namespace forged_input_tests

// The client call structs (client_calls.hpp): the order of their checks
// around the facade's status, their error codes, the operation each fills
// in (kind, fields, login hash), validate_op going through them by kind, and
// the origin that decides whether the registry validates an operation.

#include "actors/registry_actor.hpp"
#include "presence/detail/client_calls.hpp"
#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace client_calls_tests {

using namespace presence;
using namespace test;

using detail::client_op;
using detail::login_hash_of;
using detail::op_kind;

namespace {

/// What the facade's status says when it is closed or its registry is down.
caf::error down() {
  return make_error(error::registry_down, "test");
}

/// The call's checks as the facade runs them, with `status` as its status.
template <class Call>
caf::error checked(const Call& call, const caf::error& status = {}) {
  return detail::check_call(call, limits{}, status);
}

/// Checks, then fills a fresh operation, as the facade does.
template <class Call>
client_op built(Call call) {
  REQUIRE_FALSE(checked(call));
  call.prepare();
  client_op op;
  call.fill(op);
  return op;
}

std::string text(const caf::error& err) {
  return caf::to_string(err);
}

} // namespace

TEST_CASE("call structs say their result and whether they are writes",
          "[client-calls]") {
  using namespace detail;
  static_assert(mark_online_call::is_write && session_call::is_write
                && metadata_call::is_write && kick_call::is_write);
  static_assert(!push_text_call::is_write && !push_call::is_write
                && !push_users_call::is_write && !broadcast_call::is_write
                && !member_call::is_write);
  static_assert(
    std::is_same_v<mark_online_call::result_type, change_result>
    && std::is_same_v<session_call::result_type, change_result>
    && std::is_same_v<metadata_call::result_type, change_result>
    && std::is_same_v<member_call::result_type, change_result>);
  static_assert(
    std::is_same_v<push_text_call::result_type, delivery_report>
    && std::is_same_v<push_call::result_type, delivery_report>
    && std::is_same_v<push_users_call::result_type, delivery_report>
    && std::is_same_v<broadcast_call::result_type, delivery_report>
    && std::is_same_v<kick_call::result_type, delivery_report>);
  SUCCEED();
}

TEST_CASE("mark_online checks the user, then the policy, then the status",
          "[client-calls]") {
  using detail::mark_online_call;
  auto bad_policy = login_policy{-1, false, limit_action::replace};
  auto nobody = user("", "t");
  CHECK_PRESENCE_ERROR(checked(mark_online_call{nobody, &bad_policy}, down()),
                       empty_login_id);
  auto nodevice = user("alice", "t", "");
  CHECK_PRESENCE_ERROR(checked(mark_online_call{nodevice}), empty_device);
  auto alice = user("alice", "t1");
  CHECK_PRESENCE_ERROR(checked(mark_online_call{alice, &bad_policy}, down()),
                       invalid_policy);
  CHECK_PRESENCE_ERROR(checked(mark_online_call{alice}, down()),
                       registry_down);
  SECTION("with the configured policy") {
    auto x = user("alice", "t1", "ios", {{"k", "v"}});
    auto op = built(mark_online_call{x});
    CHECK(op.kind == op_kind::mark_online);
    CHECK(op.user.login_id == "alice");
    CHECK(op.user.token == "t1");
    CHECK(op.user.device == "ios");
    CHECK(op.user.metadata == metadata_map{{"k", "v"}});
    CHECK_FALSE(op.has_policy);
    CHECK(op.login_hash == login_hash_of("alice"));
  }
  SECTION("with its own policy") {
    auto policy = login_policy{2, true, limit_action::reject};
    auto op = built(mark_online_call{alice, &policy});
    CHECK(op.has_policy);
    CHECK(op.policy.max_sessions == 2);
    CHECK(op.policy.one_per_device);
    CHECK(op.policy.on_limit == limit_action::reject);
    CHECK(op.user.login_id == "alice");
    CHECK(op.login_hash == login_hash_of("alice"));
  }
}

TEST_CASE("session calls check their key before the status",
          "[client-calls]") {
  using detail::session_call;
  std::string id;
  std::string token = "t1";
  CHECK_PRESENCE_ERROR(
    checked(session_call{op_kind::mark_offline, id, &token}, down()),
    empty_login_id);
  id = "alice";
  token.clear();
  CHECK_PRESENCE_ERROR(
    checked(session_call{op_kind::update_activity, id, &token}, down()),
    empty_token);
  // mark_offline_all has no token to check.
  CHECK_PRESENCE_ERROR(checked(session_call{op_kind::mark_offline_all, id},
                               down()),
                       registry_down);
  for (auto kind : {op_kind::mark_offline, op_kind::update_activity}) {
    std::string login_id = "alice";
    std::string tok = "t1";
    auto op = built(session_call{kind, login_id, &tok});
    CHECK(op.kind == kind);
    CHECK(op.user.login_id == "alice");
    CHECK(op.user.token == "t1");
    CHECK(op.login_hash == login_hash_of("alice"));
  }
  std::string login_id = "bob";
  auto op = built(session_call{op_kind::mark_offline_all, login_id});
  CHECK(op.kind == op_kind::mark_offline_all);
  CHECK(op.user.login_id == "bob");
  CHECK(op.user.token.empty());
  CHECK(op.login_hash == login_hash_of("bob"));
}

TEST_CASE("update_metadata checks key and metadata before the status",
          "[client-calls]") {
  using detail::metadata_call;
  std::string id = "alice";
  std::string token;
  metadata_map md{{std::string(257, 'k'), "v"}};
  CHECK_PRESENCE_ERROR(checked(metadata_call{id, token, md}, down()),
                       empty_token);
  token = "t1";
  CHECK_PRESENCE_ERROR(checked(metadata_call{id, token, md}, down()),
                       field_too_long);
  md = {{"k", "v"}};
  CHECK_PRESENCE_ERROR(checked(metadata_call{id, token, md}, down()),
                       registry_down);
  auto op = built(metadata_call{id, token, md});
  CHECK(op.kind == op_kind::update_metadata);
  CHECK(op.user.login_id == "alice");
  CHECK(op.user.token == "t1");
  CHECK(op.user.metadata == metadata_map{{"k", "v"}});
  CHECK(op.login_hash == login_hash_of("alice"));
}

TEST_CASE("a push to one user checks the login id, the status, the content",
          "[client-calls]") {
  using detail::push_call;
  using detail::push_text_call;
  std::string id;
  std::string bad = "\xff";
  auto bad_msg = make_notification("\xff");
  CHECK_PRESENCE_ERROR(checked(push_text_call{id, bad}, down()),
                       empty_login_id);
  CHECK_PRESENCE_ERROR(checked(push_call{id, bad_msg}, down()),
                       empty_login_id);
  id = "alice";
  CHECK_PRESENCE_ERROR(checked(push_text_call{id, bad}, down()),
                       registry_down);
  CHECK_PRESENCE_ERROR(checked(push_call{id, bad_msg}, down()),
                       registry_down);
  CHECK_PRESENCE_ERROR(checked(push_text_call{id, bad}), invalid_utf8);
  CHECK_PRESENCE_ERROR(checked(push_call{id, bad_msg}), invalid_utf8);
  SECTION("Text, written in place") {
    std::string content = "hello";
    auto op = built(push_text_call{id, content});
    CHECK(op.kind == op_kind::push_user);
    CHECK(op.user.login_id == "alice");
    CHECK(op.message == make_text_message("hello"));
    CHECK(op.login_hash == login_hash_of("alice"));
  }
  SECTION("any message") {
    auto msg = make_custom_message("game", "move");
    msg.metadata = {{"k", "v"}};
    auto expected = msg;
    auto op = built(push_call{id, msg});
    CHECK(op.kind == op_kind::push_user);
    CHECK(op.user.login_id == "alice");
    CHECK(op.message == expected);
    CHECK(op.login_hash == login_hash_of("alice"));
  }
}

TEST_CASE("a push to many checks every login id, the status, the content",
          "[client-calls]") {
  using detail::push_users_call;
  std::vector<std::string> ids{"alice", ""};
  auto msg = make_text_message(std::string(1024 * 1024 + 1, 'x'));
  CHECK_PRESENCE_ERROR(checked(push_users_call{ids, msg}, down()),
                       empty_login_id);
  ids = {"alice", "bob"};
  CHECK_PRESENCE_ERROR(checked(push_users_call{ids, msg}, down()),
                       registry_down);
  CHECK_PRESENCE_ERROR(checked(push_users_call{ids, msg}), content_too_large);
  msg = make_text_message("hi");
  auto op = built(push_users_call{ids, msg});
  CHECK(op.kind == op_kind::push_users);
  CHECK(op.login_ids == std::vector<std::string>{"alice", "bob"});
  CHECK(op.message == make_text_message("hi"));
  // No one user to file it under.
  CHECK(op.login_hash == 0u);
  CHECK(op.user.login_id.empty());
}

TEST_CASE("a broadcast checks the status, then the message",
          "[client-calls]") {
  using detail::broadcast_call;
  auto msg = make_custom_message("", "x");
  CHECK_PRESENCE_ERROR(checked(broadcast_call{msg}, down()), registry_down);
  CHECK_PRESENCE_ERROR(checked(broadcast_call{msg}), empty_custom_type);
  msg = make_notification("hi");
  auto op = built(broadcast_call{msg});
  CHECK(op.kind == op_kind::broadcast);
  CHECK(op.message == make_notification("hi"));
  CHECK(op.login_hash == 0u);
}

TEST_CASE("every kick checks its key, the status, then its KickOut message",
          "[client-calls]") {
  using detail::kick_call;
  std::string id = "alice";
  std::string none;
  std::string token = "t1";
  std::string device = "ios";
  auto long_reason = make_kick_out_message(std::string(257, 'r'));
  // The key, per variant.
  CHECK_PRESENCE_ERROR(checked(kick_call::user(none, long_reason), down()),
                       empty_login_id);
  CHECK_PRESENCE_ERROR(
    checked(kick_call::session(id, none, long_reason), down()), empty_token);
  CHECK_PRESENCE_ERROR(
    checked(kick_call::device_type(id, none, long_reason), down()),
    empty_device);
  // Then the status, then the reason.
  CHECK_PRESENCE_ERROR(checked(kick_call::user(id, long_reason), down()),
                       registry_down);
  CHECK_PRESENCE_ERROR(checked(kick_call::session(id, token, long_reason)),
                       field_too_long);
  // Only a built operation can lack the KickOut type.
  auto not_kick = make_text_message("bye");
  CHECK_PRESENCE_ERROR(checked(kick_call::user(id, not_kick)),
                       malformed_message);
  SECTION("kick") {
    auto msg = make_kick_out_message("bye");
    auto op = built(kick_call::user(id, msg));
    CHECK(op.kind == op_kind::kick);
    CHECK(op.user.login_id == "alice");
    CHECK(op.user.token.empty());
    CHECK(op.user.device.empty());
    CHECK(op.message == make_kick_out_message("bye"));
    CHECK(op.login_hash == login_hash_of("alice"));
  }
  SECTION("kick_session") {
    auto msg = make_kick_out_message("bye");
    auto op = built(kick_call::session(id, token, msg));
    CHECK(op.kind == op_kind::kick_session);
    CHECK(op.user.token == "t1");
    CHECK(op.user.device.empty());
    CHECK(op.message == make_kick_out_message("bye"));
    CHECK(op.login_hash == login_hash_of("alice"));
  }
  SECTION("kick_device") {
    auto msg = make_kick_out_message("");
    auto op = built(kick_call::device_type(id, device, msg));
    CHECK(op.kind == op_kind::kick_device);
    CHECK(op.user.token.empty());
    CHECK(op.user.device == "ios");
    CHECK(op.message == make_kick_out_message(""));
    CHECK(op.login_hash == login_hash_of("alice"));
  }
}

TEST_CASE("subscriptions check the handle before the status",
          "[client-calls]") {
  using detail::member_call;
  CHECK_PRESENCE_ERROR(checked(member_call{op_kind::subscribe, pusher_actor{}},
                               down()),
                       invalid_pusher);
  CHECK_PRESENCE_ERROR(
    checked(member_call{op_kind::unsubscribe_events, event_subscriber_actor{}},
            down()),
    invalid_subscriber);
  env e;
  caf::scoped_actor self{e.sys};
  auto handle = caf::actor_cast<caf::actor>(self);
  CHECK_PRESENCE_ERROR(checked(member_call{op_kind::subscribe, handle},
                               down()),
                       registry_down);
  for (auto kind : {op_kind::subscribe, op_kind::unsubscribe,
                    op_kind::subscribe_events, op_kind::unsubscribe_events}) {
    auto op = built(member_call{kind, handle});
    CHECK(op.kind == kind);
    CHECK(op.actor == handle);
    CHECK(op.login_hash == 0u);
  }
}

TEST_CASE("the facade checks a call's target, its status, then its content",
          "[client-calls]") {
  // An unprepared system: the facade's status is system_not_configured.
  caf::actor_system_config plain;
  caf::actor_system sys{plain};
  online_manager m{sys};
  REQUIRE(m.status());
  auto bad_policy = login_policy{-1, false, limit_action::replace};
  auto long_text = std::string(2 * 1024 * 1024, 'x');
  // Target first.
  CHECK_FAILS_AT_ONCE(m.mark_online(user("a", "t", "")), empty_device);
  CHECK_FAILS_AT_ONCE(m.mark_online(user("a", "t"), bad_policy),
                      invalid_policy);
  CHECK_FAILS_AT_ONCE(m.mark_offline("a", ""), empty_token);
  CHECK_FAILS_AT_ONCE(m.mark_offline_all(""), empty_login_id);
  CHECK_FAILS_AT_ONCE(
    m.update_metadata("a", "t", {{std::string(257, 'k'), "v"}}),
    field_too_long);
  CHECK_FAILS_AT_ONCE(m.push_to_user("", long_text), empty_login_id);
  CHECK_FAILS_AT_ONCE(m.push_to_users({""}, long_text), empty_login_id);
  CHECK_FAILS_AT_ONCE(m.kick_out_device("a", "", long_text), empty_device);
  CHECK_FAILS_AT_ONCE(m.register_pusher(pusher_actor{}), invalid_pusher);
  // Then the status, before any content.
  CHECK_FAILS_AT_ONCE(m.push_to_user("a", long_text), system_not_configured);
  CHECK_FAILS_AT_ONCE(m.push_to_users({"a"}, long_text),
                      system_not_configured);
  CHECK_FAILS_AT_ONCE(m.broadcast(long_text), system_not_configured);
  CHECK_FAILS_AT_ONCE(m.kick_out_session("a", "t", long_text),
                      system_not_configured);
}

TEST_CASE("validate_op checks a built operation through its kind's struct",
          "[client-calls]") {
  limits lim;
  // The same bad input, as a facade call and as a built operation.
  std::string id = "alice";
  std::string empty;
  auto reason = make_kick_out_message("\xff");
  auto facade = text(checked(detail::kick_call::session(id, empty, reason)));
  client_op op;
  op.kind = op_kind::kick_session;
  op.user.login_id = "alice";
  op.message = make_kick_out_message("\xff");
  CHECK(text(validate_op(op, lim)) == facade);
  op.user.token = "t1";
  CHECK(text(validate_op(op, lim))
        == text(checked(detail::kick_call::user(id, reason))));
  // A passing operation gets the registry's hash, whatever it came with.
  op.message = make_kick_out_message("bye");
  op.login_hash = 12345;
  CHECK_FALSE(validate_op(op, lim));
  CHECK(op.login_hash == login_hash_of("alice"));
  // One on no single user gets none.
  client_op bc;
  bc.kind = op_kind::broadcast;
  bc.message = make_text_message("hi");
  bc.login_hash = 12345;
  CHECK_FALSE(validate_op(bc, lim));
  CHECK(bc.login_hash == 0u);
  // A number that is no kind.
  client_op odd;
  odd.kind = static_cast<op_kind>(200);
  CHECK_PRESENCE_ERROR(validate_op(odd, lim), malformed_message);
}

TEST_CASE("an operation's origin decides whether it is validated",
          "[client-calls][origin]") {
  limits lim;
  auto bad = [] {
    client_op op;
    op.kind = op_kind::mark_online;
    op.user = user("alice", "t1", "");
    return op;
  };
  // Until the registry says otherwise, an operation is the least trusted.
  CHECK(client_op{}.source == origin::foreign_batch);
  auto own = bad();
  CHECK_FALSE(receive_op(own, origin::own_client, lim));
  CHECK(own.source == origin::own_client);
  for (auto from : {origin::typed_request, origin::foreign_batch}) {
    auto op = bad();
    CHECK_PRESENCE_ERROR(receive_op(op, from, lim), empty_device);
    CHECK(op.source == from);
  }
  auto good = bad();
  good.user.device = "web";
  CHECK_FALSE(receive_op(good, origin::foreign_batch, lim));
  CHECK(good.login_hash == login_hash_of("alice"));
}

TEST_CASE("the registry gives every entry point its origin",
          "[client-calls][origin]") {
  // A registry whose own client is `own`: its batches are trusted, anybody
  // else's are not, and typed requests neither.
  env e;
  auto view = std::make_shared<detail::presence_view>();
  registry_actor reg = detail::spawn_registry_actor(
    e.sys, ok(read_settings(e.sys)), view);
  caf::scoped_actor own{e.sys};
  caf::scoped_actor other{e.sys};
  view->own_client.store(own->id());
  // A session without a device: refused by the checks, harmless unchecked.
  auto op_for = [](std::string login_id) {
    client_op op;
    op.ticket = 1;
    op.kind = op_kind::mark_online;
    op.user = user(std::move(login_id), "t1", "");
    return op;
  };
  auto send_batch = [&](caf::scoped_actor& from, client_op op) {
    from->send(caf::actor_cast<caf::actor>(reg), detail::batch_atom::value,
               detail::client_batch{caf::actor_cast<caf::actor>(from), {op}});
    caf::error err = caf::make_error(caf::sec::request_timeout);
    from->receive(
      [&](detail::results_atom, detail::client_results& rs) {
        REQUIRE(rs.results.size() == 1);
        err = rs.results[0].err;
      },
      caf::after(std::chrono::seconds(20)) >> [] { FAIL("no results"); });
    return err;
  };
  CHECK_FALSE(send_batch(own, op_for("own")));
  CHECK_PRESENCE_ERROR(send_batch(other, op_for("foreign")), empty_device);
  CHECK_PRESENCE_ERROR(err_of(ask<change_result>(other, reg,
                                                 mark_online_atom::value,
                                                 user("typed", "t1", ""))),
                       empty_device);
  CHECK(ok(ask<bool>(other, reg, is_online_atom::value, std::string{"own"})));
  CHECK_FALSE(
    ok(ask<bool>(other, reg, is_online_atom::value, std::string{"foreign"})));
  CHECK(ok(ask<uint64_t>(other, reg, online_count_atom::value)) == 1u);
  caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
}

} // namespace client_calls_tests

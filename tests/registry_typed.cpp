// The typed registry interface for actor code (request/receive from a
// scoped_actor), both spawned directly and taken from a facade.

#include "test_util.hpp"
#include "spawn_fn.hpp"

// A namespace per test file: the tests build in unity batches.
namespace registry_typed_tests {

using namespace presence;
using namespace test;

namespace {

/// Sends an exit to the registry when the test scope ends.
struct registry_guard {
  registry_actor reg;
  ~registry_guard() {
    caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
  }
};

} // namespace

TEST_CASE("typed registry: presence changes and queries",
          "[registry]") {
  env e;
  auto reg = ok(spawn_registry(e.sys));
  registry_guard guard{reg};
  caf::scoped_actor self{e.sys};
  auto change = [&](auto... xs) {
    return ok(ask<change_result>(self, reg, xs...));
  };
  std::string alice = "alice";
  std::string bob = "bob";
  auto r = change(mark_online_atom::value, user(alice, "t1", "web"));
  CHECK(r.status == change_status::joined);
  CHECK(r.sessions == 1);
  r = change(mark_online_atom::value, user(alice, "t2", "ios"));
  CHECK(r.status == change_status::joined);
  CHECK(r.sessions == 2);
  r = change(mark_online_atom::value, user(alice, "t2", "android"));
  CHECK(r.status == change_status::reconnected);
  CHECK(r.sessions == 2);
  change(mark_online_atom::value, user(bob, "b1"));
  CHECK(ok(ask<bool>(self, reg, is_online_atom::value, alice)));
  CHECK_FALSE(ok(ask<bool>(self, reg, is_online_atom::value,
                           std::string{"carol"})));
  CHECK(ok(ask<uint64_t>(self, reg, online_count_atom::value)) == 2u);
  CHECK(ok(ask<uint64_t>(self, reg, session_count_atom::value)) == 3u);
  CHECK(sorted(ok(ask<std::vector<std::string>>(self, reg,
                                                online_users_atom::value)))
        == std::vector<std::string>{"alice", "bob"});
  auto sessions = ok(
    ask<std::vector<online_user>>(self, reg, user_sessions_atom::value, alice));
  REQUIRE(sessions.size() == 2);
  CHECK(tokens_of(sessions) == std::vector<std::string>{"t1", "t2"});
  for (auto& s : sessions)
    if (s.token == "t2")
      CHECK(s.device == "android");
  CHECK(change(update_activity_atom::value, alice, std::string{"t1"}).status
        == change_status::refreshed);
  CHECK(change(update_activity_atom::value, alice, std::string{"zz"}).status
        == change_status::unknown_token);
  CHECK(change(update_activity_atom::value, std::string{"carol"},
               std::string{"t1"})
          .status
        == change_status::unknown_user);
  r = change(mark_offline_atom::value, alice, std::string{"t1"});
  CHECK(r.status == change_status::left);
  CHECK(r.sessions == 1);
  r = change(mark_offline_atom::value, alice, std::string{"t1"});
  CHECK(r.status == change_status::unknown_token);
  r = change(mark_offline_atom::value, alice, std::string{"t2"});
  CHECK(r.status == change_status::user_offline);
  r = change(mark_offline_atom::value, alice, std::string{"t2"});
  CHECK(r.status == change_status::unknown_user);
  change(mark_online_atom::value, user(bob, "b2"));
  r = change(mark_offline_all_atom::value, bob);
  CHECK(r.status == change_status::user_offline);
  CHECK(r.removed == 2);
  CHECK(ok(ask<uint64_t>(self, reg, online_count_atom::value)) == 0u);
  CHECK(ok(ask<uint64_t>(self, reg, session_count_atom::value)) == 0u);
  CHECK(ok(ask<std::vector<std::string>>(self, reg, online_users_atom::value))
          .empty());
  // mark_offline_users: the same atom with a list.
  change(mark_online_atom::value, user(alice, "t1"));
  change(mark_online_atom::value, user(bob, "b1"));
  change(mark_online_atom::value, user(bob, "b2"));
  r = change(mark_offline_all_atom::value,
             std::vector<std::string>{alice, bob, "nobody"});
  CHECK(r.status == change_status::user_offline);
  CHECK(r.removed == 3);
  CHECK(ok(ask<uint64_t>(self, reg, session_count_atom::value)) == 0u);
  CHECK_PRESENCE_ERROR(err_of(ask<change_result>(
                         self, reg, mark_offline_all_atom::value,
                         std::vector<std::string>{alice, ""})),
                       empty_login_id);
}

TEST_CASE("typed registry: pushers, pushes and kick", "[registry][push]") {
  env e;
  auto reg = ok(spawn_registry(e.sys));
  registry_guard guard{reg};
  caf::scoped_actor self{e.sys};
  in_memory_pusher imp{e.sys};
  pusher_actor p = imp;
  CHECK(ok(ask<change_result>(self, reg, subscribe_atom::value, p)).status
        == change_status::subscribed);
  std::string alice = "alice";
  std::string bob = "bob";
  ok(ask<change_result>(self, reg, mark_online_atom::value, user(alice, "t1")));
  ok(ask<change_result>(self, reg, mark_online_atom::value, user(alice, "t2")));
  ok(ask<change_result>(self, reg, mark_online_atom::value, user(bob, "b1")));
  auto rep = ok(ask<delivery_report>(self, reg, push_atom::value, alice,
                                     make_text_message("one")));
  CHECK(rep.users_reached == 1);
  CHECK(rep.sessions_reached == 2);
  CHECK_FALSE(rep.message_id.empty());
  rep = ok(ask<delivery_report>(
    self, reg, push_atom::value,
    std::vector<std::string>{alice, bob, alice, "ghost"},
    make_notification("two")));
  CHECK(rep.users_targeted == 2);
  CHECK(rep.users_reached == 2);
  CHECK(rep.sessions_reached == 3);
  CHECK(rep.not_online == std::vector<std::string>{"ghost"});
  rep = ok(ask<delivery_report>(self, reg, broadcast_atom::value,
                                make_text_message("three")));
  CHECK(rep.users_reached == 2);
  CHECK(rep.sessions_reached == 3);
  CHECK(rep.not_online.empty());
  rep = ok(ask<delivery_report>(self, reg, kick_atom::value, alice,
                                std::string{"out"}));
  CHECK(rep.users_reached == 1);
  CHECK(rep.sessions_reached == 2);
  CHECK_FALSE(ok(ask<bool>(self, reg, is_online_atom::value, alice)));
  auto msgs = ok(imp.get_messages(alice));
  REQUIRE(msgs.size() == 4);
  CHECK(contents_of(msgs)
        == std::vector<std::string>{"one", "two", "three", "out"});
  CHECK(msgs[3].type == message_type::kick_out());
  CHECK(ok(imp.get_messages(bob)).size() == 2);
  CHECK(ok(ask<change_result>(self, reg, unsubscribe_atom::value, p)).status
        == change_status::unsubscribed);
  CHECK(ok(ask<change_result>(self, reg, unsubscribe_atom::value, p)).status
        == change_status::unknown_pusher);
  rep = ok(ask<delivery_report>(self, reg, push_atom::value, bob,
                                make_text_message("four")));
  CHECK(rep.users_targeted == 1);
  CHECK(rep.users_reached == 0);
  CHECK(ok(imp.get_messages(bob)).size() == 2);
}

TEST_CASE("typed registry validates input and keeps serving",
          "[registry][bad-input]") {
  env e;
  auto reg = ok(spawn_registry(e.sys));
  registry_guard guard{reg};
  caf::scoped_actor self{e.sys};
  std::string empty;
  std::string alice = "alice";
  CHECK_PRESENCE_ERROR(err_of(ask<change_result>(self, reg,
                                                 mark_online_atom::value,
                                                 user("", "t"))),
                       empty_login_id);
  CHECK_PRESENCE_ERROR(err_of(ask<change_result>(self, reg,
                                                 mark_online_atom::value,
                                                 user(alice, ""))),
                       empty_token);
  CHECK_PRESENCE_ERROR(err_of(ask<change_result>(
                         self, reg, mark_offline_atom::value, empty, alice)),
                       empty_login_id);
  CHECK_PRESENCE_ERROR(err_of(ask<change_result>(
                         self, reg, mark_offline_all_atom::value, empty)),
                       empty_login_id);
  CHECK_PRESENCE_ERROR(err_of(ask<change_result>(
                         self, reg, update_activity_atom::value, alice, empty)),
                       empty_token);
  CHECK_PRESENCE_ERROR(
    err_of(ask<bool>(self, reg, is_online_atom::value, empty)),
    empty_login_id);
  ok(ask<change_result>(self, reg, mark_online_atom::value, user(alice, "t")));
  CHECK_PRESENCE_ERROR(err_of(ask<delivery_report>(
                         self, reg, push_atom::value, alice,
                         make_text_message("\xff"))),
                       invalid_utf8);
  CHECK_PRESENCE_ERROR(err_of(ask<delivery_report>(
                         self, reg, broadcast_atom::value,
                         make_custom_message("", "x"))),
                       empty_custom_type);
  CHECK_PRESENCE_ERROR(err_of(ask<delivery_report>(
                         self, reg, push_atom::value, alice,
                         make_binary_message(std::string(1024 * 1024 + 1, 'x')))),
                       content_too_large);
  CHECK_PRESENCE_ERROR(err_of(ask<delivery_report>(
                         self, reg, kick_atom::value, empty, alice)),
                       empty_login_id);
  CHECK_PRESENCE_ERROR(err_of(ask<change_result>(self, reg,
                                                 subscribe_atom::value,
                                                 pusher_actor{})),
                       invalid_pusher);
  // Still serving.
  CHECK(ok(ask<uint64_t>(self, reg, online_count_atom::value)) == 1u);
  CHECK(ok(ask<bool>(self, reg, is_online_atom::value, alice)));
}

TEST_CASE("the facade's registry() is the registry it writes to",
          "[registry][facade]") {
  env e;
  online_manager m{e.sys};
  auto reg = m.registry();
  REQUIRE(reg != nullptr);
  caf::scoped_actor self{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  ok(m.mark_online(user("alice", "t2")));
  CHECK(ok(ask<uint64_t>(self, reg, online_count_atom::value)) == 1u);
  CHECK(ok(ask<uint64_t>(self, reg, session_count_atom::value)) == 2u);
  CHECK(ok(ask<bool>(self, reg, is_online_atom::value, std::string{"alice"})));
  // A pusher subscribed through the typed interface serves facade pushes.
  in_memory_pusher imp{e.sys};
  CHECK(ok(ask<change_result>(self, reg, subscribe_atom::value,
                              pusher_actor{imp}))
          .status
        == change_status::subscribed);
  CHECK(ok(m.push_to_user("alice", "via facade")).users_reached == 1);
  CHECK(ok(imp.get_messages("alice")).size() == 1);
  // A write through the typed interface is confirmed by the registry's reply.
  auto r = ok(ask<change_result>(self, reg, mark_offline_atom::value,
                                 std::string{"alice"}, std::string{"t1"}));
  CHECK(r.status == change_status::left);
  CHECK(ok(ask<uint64_t>(self, reg, session_count_atom::value)) == 1u);
}

TEST_CASE("registry actors can be driven with request/then from actor code",
          "[registry][actor]") {
  env e;
  auto reg = ok(spawn_registry(e.sys));
  registry_guard guard{reg};
  struct outcome {
    std::mutex mtx;
    std::condition_variable cv;
    bool done = false;
    bool online = false;
    uint64_t sessions = 0;
    std::string error;
  };
  auto out = std::make_shared<outcome>();
  auto finish = [out](bool online, uint64_t sessions, std::string err) {
    {
      std::lock_guard<std::mutex> guard{out->mtx};
      out->done = true;
      out->online = online;
      out->sessions = sessions;
      out->error = std::move(err);
    }
    out->cv.notify_all();
  };
  test::spawn_fn(e.sys, [reg, finish](caf::event_based_actor* self) {
    auto fail = [finish](const caf::error& err) {
      finish(false, 0, caf::to_string(err));
    };
    self->request(reg, std::chrono::seconds(20), mark_online_atom::value,
                  user("alice", "t1"))
      .then(
        [=](const change_result&) {
          self
            ->request(reg, std::chrono::seconds(20), mark_online_atom::value,
                      user("alice", "t2"))
            .then(
              [=](const change_result&) {
                self
                  ->request(reg, std::chrono::seconds(20),
                            is_online_atom::value, std::string{"alice"})
                  .then(
                    [=](bool online) {
                      self
                        ->request(reg, std::chrono::seconds(20),
                                  session_count_atom::value)
                        .then(
                          [=](uint64_t n) { finish(online, n, std::string{}); },
                          fail);
                    },
                    fail);
              },
              fail);
        },
        fail);
  });
  std::unique_lock<std::mutex> lock{out->mtx};
  REQUIRE(out->cv.wait_for(lock, std::chrono::seconds(20),
                           [&] { return out->done; }));
  INFO("error: " << out->error);
  CHECK(out->error.empty());
  CHECK(out->online);
  CHECK(out->sessions == 2u);
}

TEST_CASE("facade calls fail with registry_down once the registry is gone",
          "[registry][facade][failure]") {
  env e;
  online_manager m{e.sys};
  ok(m.mark_online(user("alice", "t1")));
  auto reg = m.registry();
  down_watcher watcher{e.sys, reg};
  caf::anon_send_exit(reg, caf::exit_reason::kill);
  REQUIRE(watcher.await());
  // Calls issued after the registry died fail (they must not hang).
  auto p1 = m.mark_online(user("bob", "b1"));
  auto p2 = m.push_to_user("alice", "x");
  auto p3 = m.mark_offline_all("alice");
  CHECK_PRESENCE_ERROR(err_of(p1), registry_down);
  CHECK_PRESENCE_ERROR(err_of(p2), registry_down);
  CHECK_PRESENCE_ERROR(err_of(p3), registry_down);
  CHECK_PRESENCE_ERROR(err_of(m.mark_online(user("carol", "c1"))),
                       registry_down);
  m.sync(); // Must not hang.
}

// The public handle lists the README's requests only: sending it a facade
// batch does not compile (the internal handle takes it; actor_cast still
// reaches it, which the registry checks at run time: forged_input.cpp).
static_assert(!caf::response_type<presence::registry_actor::signatures,
                                  presence::detail::batch_atom,
                                  presence::detail::client_batch>::valid,
              "the public registry handle must not list internal messages");
static_assert(caf::response_type<
                presence::detail::registry_internal_actor::signatures,
                presence::detail::batch_atom,
                presence::detail::client_batch>::valid,
              "the internal registry handle takes facade batches");

} // namespace registry_typed_tests

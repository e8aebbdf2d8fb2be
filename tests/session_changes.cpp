// session_changes with a fake callee. A user entry holds a user actor
// handle, so the fake spawns dummy user actors in a small actor system;
// nothing is sent to them: a forwarded login is only recorded, and the test
// answers it itself (on_join_answer), as the user actor would.

#include <catch2/catch.hpp>

#include "registry_fakes.hpp"

// A namespace per test file: the tests build in unity batches.
namespace session_changes_tests {

using namespace parts;

namespace {

using lines = std::vector<std::string>;

struct fixture {
  mini_system ms;
  reply_log log;
  client_replies replies{log};
  presence_view view;
  event_outbox events;
  settings cfg;
  user_host host{ms};
  session_changes changes;
  caf::actor client_handle = ms.dummy();
  uint32_t client = 0;

  explicit fixture(settings s = {})
    : cfg(s), changes(host, host, view, replies, events, cfg) {
    // A replayed call runs again, as the registry's dispatch would run it.
    host.on_dispatch = [this](client_op&& op, reply_target&& rt) {
      run_session_op(changes, std::move(op), std::move(rt));
    };
    bool added = false;
    client = replies.client_of(client_handle, added);
  }

  void call(op_kind kind, const std::string& login_id,
            const std::string& token, uint64_t ticket,
            const std::string& device = "web") {
    run_session_op(changes, session_op(kind, login_id, token, device),
                   reply_target{client, ticket, {}});
  }

  const op_result* result(uint64_t ticket) {
    replies.flush();
    return log.result(ticket);
  }

  /// The tickets of every result sent so far, in order.
  std::vector<uint64_t> tickets() {
    replies.flush();
    std::vector<uint64_t> result;
    for (auto& s : log.sent)
      for (auto& r : s.out.results)
        result.push_back(r.ticket);
    return result;
  }

  lines take_events() {
    return event_lines(events.take(host.t).events);
  }

  user_entry* user(const std::string& login_id) {
    return view.table.find(login_id);
  }

  /// Answers forwarded login `i` as its user actor would: the session joins,
  /// and `replaced` make room for it.
  void answer_join(size_t i, std::vector<std::string> replaced = {}) {
    auto& j = host.joins.at(i);
    auto e = user(j.cmd.session.login_id);
    REQUIRE(e != nullptr);
    user_update u;
    u.ticket = j.cmd.ticket;
    u.kind = update_kind::join;
    u.session = j.cmd.session;
    u.result = change_result{
      change_status::joined,
      static_cast<uint32_t>(e->sessions.size() + 1 - replaced.size()), 0};
    u.tokens = std::move(replaced);
    changes.on_join_answer(u, j.actor);
  }
};

} // namespace

TEST_CASE("a first login inserts the user and answers joined",
          "[session_changes]") {
  fixture f;
  f.call(op_kind::mark_online, "u", "t1", 1);
  REQUIRE(f.host.spawned.size() == 1);
  CHECK(f.host.joins.empty()); // nothing to decide: any policy admits it
  auto e = f.user("u");
  REQUIRE(e != nullptr);
  CHECK(e->actor.id() == f.host.spawned[0].id());
  REQUIRE(e->sessions.size() == 1);
  CHECK(e->sessions.front().token == "t1");
  CHECK(f.view.table.user_count() == 1);
  CHECK(f.view.table.session_count() == 1);
  auto r = f.result(1);
  REQUIRE(r != nullptr);
  CHECK(r->change.status == change_status::joined);
  CHECK(r->change.sessions == 1);
  CHECK(f.take_events() == lines{"online u t1 login", "joined u t1 login"});
  CHECK(f.host.flush_calls == 2);
  CHECK(f.host.online == lines{"u"});
}

TEST_CASE("a full batch of events goes out at once", "[session_changes]") {
  fixture f;
  std::vector<size_t> batches;
  f.host.on_flush_events = [&] {
    batches.push_back(f.events.take(f.host.t).events.size());
  };
  // Two events per first login: 300 logins fill one batch of 512.
  for (uint64_t i = 0; i < 300; ++i)
    f.call(op_kind::mark_online, "u" + std::to_string(i), "t", i + 1);
  CHECK(batches == std::vector<size_t>{event_outbox::max_batch});
  CHECK(f.take_events().size() == 600 - event_outbox::max_batch);
}

TEST_CASE("without event subscribers a login emits no events",
          "[session_changes]") {
  fixture f;
  f.host.events = false;
  f.call(op_kind::mark_online, "u", "t1", 1);
  CHECK(f.events.empty());
  CHECK(f.host.flush_calls == 0);
  CHECK(f.result(1) != nullptr);
}

TEST_CASE("a second login is forwarded and calls on the user park until the "
          "answer, then replay in order",
          "[session_changes]") {
  fixture f;
  f.call(op_kind::mark_online, "u", "t1", 1);
  f.take_events();
  f.call(op_kind::mark_online, "u", "t2", 2, "mobile");
  REQUIRE(f.host.joins.size() == 1);
  auto& j = f.host.joins[0];
  CHECK(j.actor == f.host.spawned[0].id());
  CHECK(j.cmd.kind == op_kind::mark_online);
  CHECK(j.cmd.session.token == "t2");
  CHECK(j.cmd.ticket != 0);
  CHECK(f.host.spawned.size() == 1);
  CHECK(f.user("u")->pending == 1);
  CHECK(f.result(2) == nullptr);
  f.call(op_kind::mark_offline, "u", "t1", 3);
  f.call(op_kind::update_activity, "u", "t2", 4);
  CHECK(f.view.counters.parks.load() == 2);
  CHECK(f.host.dispatched.empty());
  CHECK(f.user("u")->sessions.size() == 1); // nothing applied yet
  CHECK(f.tickets() == std::vector<uint64_t>{1});
  f.answer_join(0);
  CHECK(f.host.dispatched == std::vector<uint64_t>{3, 4});
  CHECK(f.tickets() == std::vector<uint64_t>{1, 2, 3, 4});
  CHECK(f.result(2)->change.status == change_status::joined);
  CHECK(f.result(3)->change.status == change_status::left);
  CHECK(f.result(4)->change.status == change_status::refreshed);
  auto e = f.user("u");
  REQUIRE(e != nullptr);
  CHECK(e->pending == 0);
  REQUIRE(e->sessions.size() == 1);
  CHECK(e->sessions.front().token == "t2");
  CHECK(f.take_events()
        == lines{"joined u t2 login", "left u t1 logout"});
  // The replayed removal and refresh were mirrored to the actor.
  REQUIRE(f.host.mirrors.size() == 2);
  CHECK(f.host.mirrors[0].cmd.kind == op_kind::mark_offline);
  CHECK(f.host.mirrors[1].cmd.kind == op_kind::update_activity);
}

TEST_CASE("a replayed login makes the calls after it wait again",
          "[session_changes]") {
  fixture f;
  f.call(op_kind::mark_online, "u", "t1", 1);
  f.call(op_kind::mark_online, "u", "t2", 2);
  f.call(op_kind::mark_online, "u", "t3", 3);
  f.call(op_kind::mark_offline, "u", "t1", 4);
  REQUIRE(f.host.joins.size() == 1);
  f.answer_join(0);
  // Login 3 is forwarded on replay; 4 stays parked behind it.
  CHECK(f.host.dispatched == std::vector<uint64_t>{3});
  REQUIRE(f.host.joins.size() == 2);
  CHECK(f.host.joins[1].cmd.session.token == "t3");
  CHECK(f.result(4) == nullptr);
  f.answer_join(1);
  CHECK(f.host.dispatched == std::vector<uint64_t>{3, 4});
  CHECK(f.tickets() == std::vector<uint64_t>{1, 2, 3, 4});
  CHECK(f.result(4)->change.status == change_status::left);
  CHECK(f.user("u")->sessions.size() == 2);
}

TEST_CASE("logging out the last session retires the actor and erases the "
          "user",
          "[session_changes]") {
  fixture f;
  f.call(op_kind::mark_online, "u", "t1", 1);
  f.take_events();
  f.call(op_kind::mark_offline, "u", "t1", 2);
  CHECK(f.host.retired == std::vector<caf::actor_id>{f.host.spawned[0].id()});
  CHECK(f.user("u") == nullptr);
  CHECK(f.view.table.user_count() == 0);
  CHECK(f.view.table.session_count() == 0);
  CHECK(f.host.mirrors.empty()); // a retired actor needs no mirror
  auto r = f.result(2);
  REQUIRE(r != nullptr);
  CHECK(r->change.status == change_status::user_offline);
  CHECK(r->change.removed == 1);
  CHECK(f.take_events() == lines{"left u t1 logout", "offline u t1 logout"});
  // A call on the user now finds nobody.
  f.call(op_kind::mark_offline, "u", "t1", 3);
  CHECK(f.result(3)->change.status == change_status::unknown_user);
}

TEST_CASE("update_activity refreshes the table and mirrors to the actor",
          "[session_changes]") {
  fixture f;
  f.call(op_kind::mark_online, "u", "t1", 1);
  f.call(op_kind::update_activity, "u", "t1", 2);
  REQUIRE(f.host.mirrors.size() == 1);
  auto& m = f.host.mirrors[0];
  CHECK(m.actor == f.host.spawned[0].id());
  CHECK(m.cmd.ticket == 0); // applied already: no answer wanted
  CHECK(m.cmd.kind == op_kind::update_activity);
  CHECK(m.cmd.session.token == "t1");
  CHECK(f.user("u")->sessions.front().last_activity
        == m.cmd.session.last_activity);
  CHECK(f.result(2)->change.status == change_status::refreshed);
  // An unknown token changes nothing, so nothing is mirrored.
  f.call(op_kind::update_activity, "u", "nope", 3);
  CHECK(f.result(3)->change.status == change_status::unknown_token);
  f.call(op_kind::update_activity, "x", "t1", 4);
  CHECK(f.result(4)->change.status == change_status::unknown_user);
  CHECK(f.host.mirrors.size() == 1);
}

TEST_CASE("an expiry from a stale actor changes nothing", "[session_changes]") {
  fixture f;
  f.call(op_kind::mark_online, "u", "t1", 1);
  f.take_events();
  auto actor = f.host.spawned[0].id();
  user_update u;
  u.kind = update_kind::expire;
  u.session.login_id = "u";
  u.tokens = {"t1"};
  f.changes.on_expired(u, actor + 1000);
  REQUIRE(f.user("u") != nullptr);
  CHECK(f.user("u")->sessions.size() == 1);
  CHECK(f.host.retired.empty());
  CHECK(f.events.empty());
  f.changes.on_expired(u, actor);
  CHECK(f.user("u") == nullptr);
  CHECK(f.host.retired == std::vector<caf::actor_id>{actor});
  CHECK(f.view.counters.expiries.load() == 1);
  CHECK(f.take_events() == lines{"expired u t1 idle", "offline u t1 idle"});
}

TEST_CASE("with an idle timeout a login files a check that the tick sends",
          "[session_changes]") {
  settings s;
  s.idle_timeout = 64s;
  fixture f{s};
  f.call(op_kind::mark_online, "u", "t1", 1);
  REQUIRE(f.host.ticks.size() == 1);
  f.changes.on_tick();
  CHECK(f.host.idle_checks.empty()); // not due yet
  f.host.t += f.host.ticks[0];
  f.changes.on_tick();
  CHECK(f.host.idle_checks == lines{"u"});
}

TEST_CASE("remove_sessions takes the selected sessions and lists them",
          "[session_changes]") {
  fixture f;
  f.call(op_kind::mark_online, "u", "t1", 1, "web");
  f.call(op_kind::mark_online, "u", "t2", 2, "mobile");
  f.answer_join(0);
  f.take_events();
  auto e = f.user("u");
  REQUIRE(e != nullptr);
  auto by_device = session_op(op_kind::kick_device, "u", "", "mobile");
  std::vector<session_target> targets;
  auto n = f.changes.remove_sessions(
    *e, removal_selects(by_device.kind, by_device.user), event_kind::kicked,
    "bye", &targets);
  CHECK(n == 1);
  REQUIRE(targets.size() == 1);
  CHECK(targets[0].token == "t2");
  CHECK(targets[0].device == "mobile");
  CHECK(f.take_events() == lines{"kicked u t2 bye"});
  CHECK(f.view.table.session_count() == 1);
  f.changes.after_removal(*e, n, by_device);
  REQUIRE(f.host.mirrors.size() == 1);
  CHECK(f.host.mirrors[0].cmd.kind == op_kind::kick_device);
  // A selection of nothing: no targets, no mirror.
  auto none = session_op(op_kind::kick_session, "u", "nope");
  targets.clear();
  n = f.changes.remove_sessions(*e, removal_selects(none.kind, none.user),
                                event_kind::kicked, "bye", &targets);
  CHECK(n == 0);
  CHECK(targets.empty());
  f.changes.after_removal(*e, n, none);
  CHECK(f.host.mirrors.size() == 1);
  // Kicking the rest takes the user offline and retires its actor.
  auto all = session_op(op_kind::kick, "u", "");
  n = f.changes.remove_sessions(*e, removal_selects(all.kind, all.user),
                                event_kind::kicked, "bye", &targets);
  CHECK(n == 1);
  REQUIRE(targets.size() == 1);
  CHECK(targets[0].token == "t1");
  CHECK(f.take_events() == lines{"kicked u t1 bye", "offline u t1 bye"});
  f.changes.after_removal(*e, n, all);
  CHECK(f.host.retired.size() == 1);
  CHECK(f.user("u") == nullptr);
}

TEST_CASE("sessions a login policy replaced reach kick_replaced",
          "[session_changes]") {
  fixture f;
  f.call(op_kind::mark_online, "u", "t1", 1, "web");
  f.call(op_kind::mark_online, "u", "t2", 2, "mobile");
  f.take_events();
  f.answer_join(0, {"t1"});
  REQUIRE(f.host.kicked.size() == 1);
  CHECK(f.host.kicked[0].first == "u");
  REQUIRE(f.host.kicked[0].second.size() == 1);
  CHECK(f.host.kicked[0].second[0].token == "t1");
  CHECK(f.host.kicked[0].second[0].device == "web");
  auto e = f.user("u");
  REQUIRE(e != nullptr);
  REQUIRE(e->sessions.size() == 1);
  CHECK(e->sessions.front().token == "t2");
  CHECK(f.view.table.session_count() == 1);
  CHECK(f.view.counters.replaced.load() == 1);
  CHECK(f.take_events()
        == lines{"replaced u t1 replaced", "joined u t2 login"});
  CHECK(f.result(2)->change.status == change_status::joined);
}

TEST_CASE("a refused login changes nothing and fails its call",
          "[session_changes]") {
  fixture f;
  f.call(op_kind::mark_online, "u", "t1", 1);
  f.call(op_kind::mark_online, "u", "t2", 2);
  f.take_events();
  auto& j = f.host.joins.at(0);
  user_update u;
  u.ticket = j.cmd.ticket;
  u.session = j.cmd.session;
  u.err = make_error(error::too_many_sessions);
  f.changes.on_join_answer(u, j.actor);
  auto r = f.result(2);
  REQUIRE(r != nullptr);
  CHECK(is(r->err, error::too_many_sessions));
  CHECK(f.user("u")->sessions.size() == 1);
  CHECK(f.user("u")->pending == 0);
  CHECK(f.events.empty());
}

TEST_CASE("a user whose actor is lost goes offline and its parked calls "
          "replay",
          "[session_changes]") {
  fixture f;
  f.call(op_kind::mark_online, "u", "t1", 1);
  f.call(op_kind::mark_online, "u", "t2", 2);
  f.call(op_kind::mark_offline, "u", "t1", 3);
  f.take_events();
  f.changes.on_join_failed(f.host.joins.at(0).cmd.ticket,
                           caf::make_error(caf::sec::request_receiver_down));
  CHECK(f.result(2)->err == caf::sec::request_receiver_down);
  CHECK(f.user("u") == nullptr);
  CHECK(f.host.retired.empty()); // no actor left to retire
  CHECK(f.take_events()
        == lines{"left u t1 actor_down", "offline u t1 actor_down"});
  CHECK(f.host.dispatched == std::vector<uint64_t>{3});
  CHECK(f.result(3)->change.status == change_status::unknown_user);
}

} // namespace session_changes_tests

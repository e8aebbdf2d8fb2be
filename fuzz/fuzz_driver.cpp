// The registry fuzz target's checks: answers against the model in send order,
// the published state against the model, and the reset between inputs.

#include "fuzz/fuzz_driver.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <caf/blocking_actor.hpp>

namespace presence::fuzz {

namespace {

uint8_t code_of(const caf::error& err) {
  return err.category() == error_category ? err.code() : 255;
}

bool dead_registry(const caf::error& err) {
  return err == caf::sec::request_receiver_down;
}

} // namespace

void fail(const std::string& what) {
  fprintf(stderr, "registry_fuzz: %s\n", what.c_str());
  abort();
}

driver::driver(online_manager& mgr, caf::scoped_actor& self,
               pusher_actor pusher)
  : mgr_(mgr), reg_(mgr.registry()), self_(self), pusher_(std::move(pusher)) {
}

void driver::run(reader& in) {
  for (int steps = 0; steps < 16 && !in.empty(); ++steps) {
    auto b = in.byte();
    if (b < 200)
      typed_op(in, b % 12);
    else if (b < 235)
      batch_op(in);
    else
      internal_op(in);
  }
  settle();
  check_sessions();
}

void driver::settle() {
  for (auto& send : outbox_)
    send();
  outbox_.clear();
  // Checked in send order: per user that is the order they took effect.
  for (auto& ex : pending_) {
    if (ex.typed)
      await_response(ex);
    else
      await_result(ex);
  }
  pending_.clear();
  check_state();
}

void driver::await_response(expected_answer& ex) {
  auto wrong_type = [&] {
    fail(std::string{ex.what} + ": answered with the wrong type");
  };
  caf::blocking_actor::accept_one_cond rc;
  self_->varargs_receive(
    rc, ex.mid,
    [&](change_result& r) {
      if (ex.is_push || !ex.apply)
        wrong_type();
      compare(caf::error{}, &r, nullptr, ex);
    },
    [&](delivery_report& r) {
      if (!ex.is_push || !ex.apply)
        wrong_type();
      compare(caf::error{}, nullptr, &r, ex);
    },
    [&](uint64_t) {
      if (ex.apply)
        wrong_type();
    },
    [&](caf::error& err) {
      if (dead_registry(err) || !ex.apply)
        fail(std::string{ex.what} + ": " + self_->home_system().render(err));
      compare(err, nullptr, nullptr, ex);
    },
    caf::after(answer_timeout) >>
      [&] { fail(std::string{ex.what} + ": no answer"); });
}

void driver::await_result(expected_answer& ex) {
  auto i = results_.find(ex.ticket);
  while (i == results_.end()) {
    bool timed_out = false;
    self_->receive(
      [&](detail::results_atom, detail::client_results& rs) {
        // A ticket answered twice keeps its first result, as the facade does.
        for (auto& r : rs.results)
          results_.emplace(r.ticket, std::move(r));
      },
      caf::after(answer_timeout) >> [&] { timed_out = true; });
    if (timed_out)
      fail("a client batch was not answered in full");
    i = results_.find(ex.ticket);
  }
  auto r = std::move(i->second);
  results_.erase(i);
  if (ex.compared)
    compare(r.err, ex.is_push ? nullptr : &r.change,
            ex.is_push ? &r.report : nullptr, ex);
}

void driver::compare(const caf::error& err, const change_result* change,
                     const delivery_report* rep, const expected_answer& ex) {
  std::string what = ex.what;
  if (err) {
    auto code = code_of(err);
    // Ask the model only now: it applies the operation if it accepts it.
    if (ex.lenient && code != 255) {
      model::reference_model copy = m_;
      auto expected = ex.apply(copy);
      if (expected.err == code)
        m_ = std::move(copy);
      return;
    }
    auto expected = ex.apply(m_);
    if (expected.err != code)
      fail(what + ": library failed with " + self_->home_system().render(err)
           + ", model expected code " + std::to_string(expected.err));
    return;
  }
  auto expected = ex.apply(m_);
  if (expected.err != 0)
    fail(what + ": library accepted, model expected code "
         + std::to_string(expected.err));
  if (change != nullptr && !model::same_change(*change, expected.change))
    fail(what + ": got " + model::to_string(*change) + ", model "
         + model::to_string(expected.change));
  if (rep != nullptr) {
    model::report got;
    got.users_targeted = rep->users_targeted;
    got.users_reached = rep->users_reached;
    got.sessions_reached = rep->sessions_reached;
    got.not_online = rep->not_online;
    got.buffered = rep->buffered;
    got.dropped = rep->dropped;
    if (!(got == expected.rep))
      fail(what + ": got " + model::to_string(got) + ", model "
           + model::to_string(expected.rep));
  }
}

void driver::check_state() {
  // Read from the published table: every answer is in, so it is settled.
  auto st = mgr_.stats();
  if (!st)
    fail("stats failed");
  if (st->users != m_.user_count() || st->sessions != m_.session_count()
      || st->buffer_size != m_.buffered_count())
    fail("users/sessions/buffered: library " + std::to_string(st->users)
         + "/" + std::to_string(st->sessions) + "/"
         + std::to_string(st->buffer_size) + ", model "
         + std::to_string(m_.user_count()) + "/"
         + std::to_string(m_.session_count()) + "/"
         + std::to_string(m_.buffered_count()));
}

void driver::check_sessions() {
  auto users = mgr_.get_online_count();
  auto sessions = mgr_.get_session_count();
  if (!users || !sessions)
    fail("queries failed");
  if (*users != m_.user_count() || *sessions != m_.session_count())
    fail("counts: library " + std::to_string(*users) + "/"
         + std::to_string(*sessions) + ", model "
         + std::to_string(m_.user_count()) + "/"
         + std::to_string(m_.session_count()));
  auto ids = mgr_.get_online_users();
  if (!ids)
    fail("online users failed");
  std::sort(ids->begin(), ids->end());
  if (*ids != m_.users())
    fail("online users differ");
  for (auto& [id, xs] : m_.all_users()) {
    auto got = mgr_.get_user_sessions(id);
    if (!got)
      fail("sessions of " + id + " failed");
    if (auto diff = model::diff_sessions(id, xs, std::move(*got));
        !diff.empty())
      fail(diff);
  }
}

bool driver::reset() {
  // Buffered messages leave the buffer only towards a pusher: subscribe one
  // and log their users in (a user online now gets them at the subscribe).
  bool buffered = m_.buffered_count() > 0;
  struct answer {
    caf::message_id mid;
    std::string what;
    /// A login id the library may refuse (only the buffer check decides).
    bool may_fail;
  };
  std::vector<answer> answers;
  auto ask = [&](std::string what, bool may_fail, auto&&... xs) {
    auto mid = self_->request(reg_, caf::infinite, xs...).id();
    answers.push_back(answer{mid, std::move(what), may_fail});
  };
  if (buffered)
    ask("reset: subscribe", false, subscribe_atom::value, pusher_);
  std::vector<std::pair<std::string, bool>> offline;
  for (auto& id : m_.users())
    offline.emplace_back(id, false);
  if (buffered)
    for (auto& id : pushed_to_) {
      if (m_.sessions_of(id) != nullptr)
        continue;
      online_user u;
      u.login_id = id;
      u.token = "reset";
      u.device = "web";
      u.connect_time = caf::timestamp{caf::timespan{1}};
      u.last_activity = u.connect_time;
      ask("reset: mark_online", true, mark_online_atom::value, u);
      offline.emplace_back(id, true);
    }
  for (auto& [id, may_fail] : offline)
    ask("reset: mark_offline_all", may_fail, mark_offline_all_atom::value,
        id);
  if (buffered)
    ask("reset: unsubscribe", false, unsubscribe_atom::value, pusher_);
  for (auto& a : answers) {
    caf::blocking_actor::accept_one_cond rc;
    self_->varargs_receive(
      rc, a.mid, [](change_result&) {},
      [&](caf::error& err) {
        if (!a.may_fail || dead_registry(err))
          fail(a.what + ": " + self_->home_system().render(err));
      },
      caf::after(answer_timeout) >> [&] { fail(a.what + ": no answer"); });
  }
  // Results of batch operations nobody asked for (duplicate tickets).
  results_.clear();
  auto st = mgr_.stats();
  if (!st)
    fail("reset: stats failed");
  if (st->users != 0 || st->sessions != 0)
    fail("reset: " + std::to_string(st->users) + " users and "
         + std::to_string(st->sessions) + " sessions left");
  return st->buffer_size == 0;
}

} // namespace presence::fuzz

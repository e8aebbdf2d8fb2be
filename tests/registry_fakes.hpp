#pragma once

// Shared by the unit tests of the registry's parts (registry/): fake callees
// that record what a part asks of the actor around it, a fake delivery sink,
// and a small actor system for the parts that keep real actor handles.

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "presence/actor_interfaces.hpp"
#include "presence/atoms.hpp"
#include "presence/error.hpp"
#include "presence/detail/internal_interfaces.hpp"
#include "registry/client_replies.hpp"
#include "registry/delivery_sink.hpp"
#include "registry/push_pipeline.hpp"
#include "registry/push_routing.hpp"
#include "registry/relay_set.hpp"
#include "registry/session_changes.hpp"
#include "registry/user_table.hpp"
#include "spawn_fn.hpp"

namespace parts {

using namespace std::chrono_literals;
using namespace presence;
using namespace presence::detail;

using time_point = caf::actor_clock::time_point;

// -- actors ---------------------------------------------------------------------

/// One scheduler thread and actors that do nothing: the parts only need
/// their handles (ids, and whether they have terminated). Declare it first,
/// so that every handle is gone before the system shuts down.
struct mini_system {
  caf::actor_system_config cfg;
  caf::actor_system sys;

  mini_system() : sys(one_thread(cfg)) {
  }

  static caf::actor_system_config& one_thread(caf::actor_system_config& x) {
    x.set("scheduler.max-threads", 1);
    return x;
  }

  caf::actor dummy() {
    return test::spawn_fn(sys, [] { return caf::behavior{[](int) {}}; });
  }

  pusher_actor pusher() {
    return test::spawn_fn(sys, [](pusher_actor::pointer)
                                 -> pusher_actor::behavior_type {
      return {[](deliver_atom, const delivery_batch&) {}};
    });
  }

  event_subscriber_actor subscriber() {
    return test::spawn_fn(sys, [](event_subscriber_actor::pointer)
                                 -> event_subscriber_actor::behavior_type {
      return {[](presence_events_atom, const presence_events&) {}};
    });
  }

  user_actor user() {
    return test::spawn_fn(sys, [](user_actor::pointer)
                                 -> user_actor::behavior_type {
      return {
        [](apply_atom, const user_command&) {},
        [](join_atom, const user_command&) { return user_update{}; },
        [](expire_atom, const std::string&) { return user_update{}; },
      };
    });
  }
};

// -- client_replies ---------------------------------------------------------------

struct reply_log : client_replies::callee {
  struct sent_results {
    caf::actor_id to;
    client_results out;
  };
  std::vector<sent_results> sent;
  size_t waiting_calls = 0;

  void send_results(const client_actor& to, client_results&& out) override {
    sent.push_back(sent_results{to.id(), std::move(out)});
  }

  void flush_later() override {
    ++waiting_calls;
  }

  /// The result for `ticket` sent so far, or null.
  const op_result* result(uint64_t ticket) const {
    for (auto& s : sent)
      for (auto& r : s.out.results)
        if (r.ticket == ticket)
          return &r;
    return nullptr;
  }

  size_t result_count() const {
    size_t n = 0;
    for (auto& s : sent)
      n += s.out.results.size();
    return n;
  }
};

// -- push_pipeline ----------------------------------------------------------------

/// Time moves only when the test says so.
struct fake_clock : push_pipeline::callee {
  time_point t = time_point{} + 1h;
  size_t flush_calls = 0;
  std::vector<caf::timespan> expiry_requests;

  time_point now() override {
    return t;
  }

  void flush_later() override {
    ++flush_calls;
  }

  void expire_after(caf::timespan delay) override {
    expiry_requests.push_back(delay);
  }
};

/// Records the batches it takes; each is awaited by `waiters`.
struct fake_sink : delivery_sink {
  std::vector<caf::actor_id> waiters{101};
  std::vector<caf::message> batches;

  fake_sink() {
    set_ready(true);
  }

  void make_ready(bool x) {
    set_ready(x);
  }

  void send(const caf::message& batch,
            std::vector<caf::actor_id>& waiting) override {
    batches.push_back(batch);
    waiting.insert(waiting.end(), waiters.begin(), waiters.end());
  }

  const delivery_batch& batch(size_t i) const {
    REQUIRE(i < batches.size());
    REQUIRE(batches[i].match_elements<deliver_atom, delivery_batch>());
    return batches[i].get_as<delivery_batch>(1);
  }

  size_t delivery_count() const {
    size_t n = 0;
    for (size_t i = 0; i < batches.size(); ++i)
      n += batch(i).deliveries.size();
    return n;
  }
};

/// "login:token,token" per delivery of `b`, in batch order.
inline std::vector<std::string> deliveries_of(const delivery_batch& b) {
  std::vector<std::string> result;
  for (auto& d : b.deliveries) {
    std::string line = d.login_id + ":";
    for (auto& s : b.sessions_of(d))
      line += (line.back() == ':' ? "" : ",") + s.token;
    result.push_back(std::move(line));
  }
  return result;
}

/// Sessions t0, t1, ... of `owners.size()` sessions, each of its owner.
inline std::vector<session_record> sessions(std::vector<owner_id> owners) {
  std::vector<session_record> result;
  for (size_t i = 0; i < owners.size(); ++i)
    result.push_back(session_record{"t" + std::to_string(i), "web", {}, {},
                                    nullptr, owners[i]});
  return result;
}

/// A pipeline with a fake clock and a fake local sink, whose reports go to
/// a client of client_replies (which needs a dummy actor for its handle).
struct pipeline_fixture {
  mini_system ms;
  reply_log log;
  client_replies replies{log};
  fake_clock clk;
  view_counters counters;
  fake_sink local;
  push_pipeline pipe;
  caf::actor client_handle = ms.dummy();
  uint32_t client = 0;

  explicit pipeline_fixture(push_pipeline::config cfg = {})
    : pipe(clk, replies, counters, cfg, message_ids{}) {
    pipe.set_sink(local_owner, &local);
    bool added = false;
    client = replies.client_of(client_handle, added);
  }

  uint64_t start(uint64_t ticket, std::string content = "hi") {
    return pipe.start(make_text_message(std::move(content)),
                      reply_target{client, ticket, {}});
  }

  /// Adds a delivery to `login_id` with one session per owner listed.
  void deliver(uint64_t push, const std::string& login_id,
               std::vector<owner_id> owners) {
    auto xs = sessions(std::move(owners));
    pipe.add_delivery(push, login_id, xs.data(), xs.size());
  }

  /// The report for `ticket` once it went out, else null.
  const delivery_report* report(uint64_t ticket) {
    replies.flush();
    auto r = log.result(ticket);
    return r != nullptr ? &r->report : nullptr;
  }
};

// -- push_routing -------------------------------------------------------------------

/// The routing's clock is the pipeline's; records the sweeps it asks for.
struct sweep_log : push_routing::callee {
  explicit sweep_log(fake_clock& clk) : clk(clk) {
  }

  fake_clock& clk;
  std::vector<caf::timespan> sweeps;

  time_point now() override {
    return clk.t;
  }

  void sweep_after(caf::timespan delay) override {
    sweeps.push_back(delay);
  }
};

// -- relay_set ----------------------------------------------------------------------

/// Spawns a dummy actor per relay; records what the relays are sent.
struct relay_host : relay_set::callee {
  struct spawned {
    caf::actor relay;
    caf::actor_id pusher;
    bool await_go;
  };
  struct sent_message {
    caf::actor_id to;
    caf::message msg;
  };

  explicit relay_host(mini_system& ms) : ms(ms) {
  }

  mini_system& ms;
  std::vector<spawned> spawns;
  std::vector<sent_message> sent;
  std::vector<caf::actor_id> stopped;

  caf::actor spawn_relay(const pusher_actor& p, bool await_go) override {
    auto relay = ms.dummy();
    spawns.push_back(spawned{relay, p.id(), await_go});
    return relay;
  }

  void send_to(const caf::actor& relay, const caf::message& msg) override {
    sent.push_back(sent_message{relay.id(), msg});
  }

  void stop(const caf::actor& relay) override {
    stopped.push_back(relay.id());
  }

  /// The batches (deliver_atom messages) sent to `relay`.
  std::vector<caf::message> batches_to(caf::actor_id relay) const {
    std::vector<caf::message> result;
    for (auto& s : sent)
      if (s.to == relay && s.msg.match_element<deliver_atom>(0))
        result.push_back(s.msg);
    return result;
  }
};

// -- session_changes ----------------------------------------------------------------

/// Records every request of session_changes; spawns dummy user actors. The
/// test wires `on_dispatch` (a replayed call), `on_came_online` and
/// `on_kick_replaced` where it has something to run them.
struct user_host : session_changes::callee, session_changes::hooks {
  struct command {
    caf::actor_id actor;
    user_command cmd;
  };

  explicit user_host(mini_system& ms) : ms(ms) {
  }

  mini_system& ms;
  time_point t = time_point{} + 1h;
  bool events = true;
  size_t flush_calls = 0;
  std::vector<command> joins;
  std::vector<command> mirrors;
  std::vector<user_actor> spawned;
  std::vector<caf::actor_id> retired;
  std::vector<std::string> idle_checks;
  std::vector<caf::timespan> ticks;
  /// The ticket of each replayed call, in replay order.
  std::vector<uint64_t> dispatched;
  std::vector<std::string> online;
  std::vector<std::pair<std::string, std::vector<session_target>>> kicked;
  std::function<void(client_op&&, reply_target&&)> on_dispatch;
  std::function<void(user_entry&)> on_came_online;
  std::function<void(const std::string&, std::vector<session_target>&&)>
    on_kick_replaced;
  std::function<void()> on_flush_events;
  size_t full_flushes = 0;

  time_point now() override {
    return t;
  }

  void flush_later() override {
    ++flush_calls;
  }

  bool events_on() const override {
    return events;
  }

  void forward_join(const user_actor& actor, user_command&& cmd) override {
    joins.push_back(command{actor.id(), std::move(cmd)});
  }

  void mirror(const user_actor& actor, user_command&& cmd) override {
    mirrors.push_back(command{actor.id(), std::move(cmd)});
  }

  user_actor spawn_user(const online_user&, time_point) override {
    auto a = ms.user();
    spawned.push_back(a);
    return a;
  }

  void check_idle(const user_actor&, std::string login_id) override {
    idle_checks.push_back(std::move(login_id));
  }

  void retire(user_actor&& actor) override {
    retired.push_back(actor.id());
    actor = nullptr;
  }

  void tick_after(caf::timespan delay) override {
    ticks.push_back(delay);
  }

  void dispatch(client_op&& op, reply_target&& rt) override {
    dispatched.push_back(rt.ticket);
    if (on_dispatch)
      on_dispatch(std::move(op), std::move(rt));
  }

  void came_online(user_entry& e) override {
    online.push_back(e.login_id);
    if (on_came_online)
      on_came_online(e);
  }

  void kick_replaced(const std::string& login_id,
                     std::vector<session_target>&& targets) override {
    kicked.emplace_back(login_id, targets);
    if (on_kick_replaced)
      on_kick_replaced(login_id, std::move(targets));
  }

  void flush_events() override {
    ++full_flushes;
    if (on_flush_events)
      on_flush_events();
  }
};

/// Runs a session call the way the registry's dispatch does.
inline void run_session_op(session_changes& sc, client_op&& op,
                           reply_target&& rt) {
  switch (op.kind) {
    case op_kind::mark_online:
      return sc.mark_online(std::move(op), std::move(rt));
    case op_kind::update_metadata:
      return sc.update_metadata(std::move(op), std::move(rt));
    default:
      return sc.change_session(std::move(op), std::move(rt));
  }
}

/// A call of `kind` on session (`login_id`, `token`).
inline client_op session_op(op_kind kind, std::string login_id,
                            std::string token, std::string device = "web") {
  client_op op;
  op.kind = kind;
  op.user.login_id = std::move(login_id);
  op.user.token = std::move(token);
  op.user.device = std::move(device);
  return op;
}

/// "kind login token reason" per event in `xs`.
inline std::vector<std::string>
event_lines(const std::vector<presence_event>& xs) {
  std::vector<std::string> result;
  for (auto& e : xs)
    result.push_back(to_string(e.kind) + " " + e.session.login_id + " "
                     + e.session.token + " " + e.reason);
  return result;
}

} // namespace parts

#pragma once

// The registry actor's state: what the registry's parts (registry_core and
// the classes it wires) ask of an actor, answered with the actor's own
// calls. Only actors/registry_actor.cpp includes it; the behavior that
// drives it is there.

#include <optional>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/pusher_relay.hpp"
#include "actors/registry_admission.hpp"
#include "actors/user_actor.hpp"
#include "actors/user_retirement.hpp"
#include "presence/detail/validate_op.hpp"
#include "presence/error.hpp"
#include "presence/registry.hpp"
#include "registry/registry_core.hpp"

namespace presence::detail {

using clock_time = caf::actor_clock::time_point;

struct registry_state;

using registry_pointer
  = registry_internal_actor::stateful_pointer<registry_state>;

/// The registry actor: its messages drive a registry_core (the parts and
/// their wiring, registry/registry_core.hpp); this state is what the parts
/// ask of an actor.
struct registry_state : registry_callee {
  static inline const char* name = "presence.registry";

  registry_pointer self = nullptr;
  registry_internal_actor handle;
  settings cfg;
  /// cfg.input_limits(), for validating what does not come from the own
  /// facade client.
  limits lim;
  std::shared_ptr<presence_view> view;
  /// Built in init(): it needs the settings and the view.
  std::optional<registry_core> core;
  registry_admission admit;
  bool flush_scheduled = false;
  /// Retired actors go to the retirement thread in chunks of this many, and
  /// whatever is left `reap_delay` after the first of them.
  static constexpr size_t reap_chunk = 4096;
  static constexpr auto reap_delay = std::chrono::milliseconds(100);
  bool reap_scheduled = false;
  user_retirement retirement;

  void init(registry_pointer ptr, const settings& x,
            std::shared_ptr<presence_view> v) {
    self = ptr;
    handle = caf::actor_cast<registry_internal_actor>(self);
    cfg = x;
    lim = cfg.input_limits();
    view = std::move(v);
    admit = registry_admission{self, view->counters, view->own_client};
    core.emplace(*this, cfg, *view,
                 message_ids{message_ids::make_prefix(to_string(self->node()),
                                                      self->id())});
    // A routed push stays within the cluster's batch size in bytes
    // (read_cluster_settings validated it where a cluster runs).
    auto bytes = caf::get_or(self->system().config(),
                             "presence.cluster.max-batch-bytes",
                             int64_t{1024 * 1024});
    if (bytes > 0)
      core->route_caps.max_bytes = static_cast<size_t>(bytes);
  }

  /// CAF destroys the state when the registry terminates, whatever the exit
  /// reason (a kill runs no handler): the one place to answer every typed
  /// request still open and to stop the relays. Facade calls are the
  /// facade's own (it watches the registry).
  ~registry_state() override {
    if (!core)
      return;
    core->for_each_target([](reply_target& rt) {
      if (rt.client == reply_target::no_client && rt.promise.pending())
        rt.promise.deliver(make_error(error::registry_down));
    });
    for (auto& r : core->relays.relays())
      caf::anon_send_exit(r.relay, caf::exit_reason::user_shutdown);
  }

  user_table& table() {
    return view->table;
  }

  // -- what the parts ask of the actor ----------------------------------------

  clock_time now() override {
    return self->clock().now();
  }

  void schedule_flush() {
    if (!flush_scheduled) {
      flush_scheduled = true;
      self->send(handle, flush_atom::value);
    }
  }

  void send_results(const client_actor& to, client_results&& out) override {
    // Deltas first, also for a chunk sent before the flush: an answer to a
    // forwarded write must never overtake the change it made.
    core->link.flush();
    self->send(to, results_atom::value, std::move(out));
  }

  /// Every part's answers, batches and events go out on one flush.
  void flush_later() override {
    schedule_flush();
  }

  void expire_after(caf::timespan delay) override {
    self->delayed_send(handle, delay, timeout_atom::value);
  }

  void tick_after(caf::timespan delay) override {
    self->delayed_send(handle, delay, tick_atom::value);
  }

  void sweep_after(caf::timespan delay) override {
    self->delayed_send(handle, delay, sweep_atom::value);
  }

  void trim_after(caf::timespan delay) override {
    self->delayed_send(handle, delay, trim_atom::value);
  }

  caf::actor spawn_relay(const pusher_actor& p, bool await_go) override {
    return spawn_pusher_relay(self->system(), handle, p, await_go);
  }

  /// Sends untyped: a typed actor cannot send() to an untyped one, and a
  /// batch is one message shared by every relay or subscriber (typed send()
  /// would check the signature per call; the content is known to fit).
  void send_to(const caf::actor& relay, const caf::message& msg) override {
    caf::actor_cast<caf::abstract_actor*>(relay)->enqueue(
      self->ctrl(), caf::make_message_id(), msg, self->context());
  }

  void stop(const caf::actor& relay) override {
    self->send_exit(relay, caf::exit_reason::user_shutdown);
  }

  void monitor(const caf::actor& member) override {
    self->monitor(member);
  }

  void demonitor(const caf::actor& member) override {
    self->demonitor(member.address());
  }

  // -- the cluster actor --------------------------------------------------------

  /// Untyped, as send_to: a typed actor cannot send() to an untyped one.
  void send_changes(const caf::actor& to, local_changes&& xs) override {
    send_to(to, caf::make_message(local_changes_atom::value, std::move(xs)));
  }

  /// The answer completes one part of a forwarded write. Only the attached
  /// cluster actor answers: a response from anybody else fails the part.
  void send_forward(const caf::actor& to, const std::string& node,
                    client_op&& op, uint64_t part) override {
    auto me = self;
    self->request(to, forward_timeout, forward_atom::value, node, std::move(op))
      .then(
        [me, part](op_result& r) {
          auto& st = me->state;
          forwarded_writes::part p;
          if (!st.admit.is_cluster(me->current_sender())) {
            st.admit.count_rejected();
            p.err = make_error(error::malformed_message,
                               "a forwarded write answered by a stranger");
          } else {
            p.err = std::move(r.err);
            p.change = r.change;
            p.report = std::move(r.report);
          }
          st.core->replies.complete_part(part, std::move(p));
          st.maybe_flush_events();
        },
        [me, part](caf::error& err) {
          forwarded_writes::part p;
          p.err = std::move(err);
          me->state.core->replies.complete_part(part, std::move(p));
        });
  }

  /// One-way: the attached cluster actor always answers, with the owner's
  /// report or the part's failure (cluster/routed_pushes.hpp), and if it
  /// dies every sink fails what it waits for (cluster_detached).
  void send_route(owner_id, const std::string& node, client_op&& op,
                  uint64_t ticket) override {
    if (!core->link.attached()) {
      op_result r;
      r.err = caf::make_error(caf::exit_reason::remote_link_unreachable);
      core->route_answer(node, ticket, std::move(r));
      return;
    }
    op.ticket = ticket;
    // The cluster actor is dynamically typed, which a typed actor's send()
    // refuses; a request would bring back what this avoids.
    caf::unsafe_send_as(self, core->link.cluster(), route_atom::value, node,
                        std::move(op));
  }

  /// A forwarded write that gets no answer in this time fails (its part:
  /// the rest of a merged write still counts).
  static constexpr auto forward_timeout = std::chrono::seconds(30);

  void forward_join(const user_actor& actor, user_command&& cmd) override {
    auto me = self;
    auto ticket = cmd.ticket;
    auto from = actor.id();
    self->request(actor, caf::infinite, join_atom::value, std::move(cmd))
      .then(
        [me, from](user_update& u) {
          me->state.core->changes.on_join_answer(u, from);
        },
        [me, ticket](caf::error& err) {
          me->state.core->changes.on_join_failed(ticket, std::move(err));
        });
  }

  void mirror(const user_actor& actor, user_command&& cmd) override {
    if (actor) // a user known only through other nodes has none
      self->send(actor, apply_atom::value, std::move(cmd));
  }

  user_actor spawn_user(const online_user& first, clock_time t) override {
    return detail::spawn_user(self->system(), first, cfg.idle_timeout, t);
  }

  void check_idle(const user_actor& actor, std::string login_id) override {
    self->send(actor, expire_atom::value, std::move(login_id));
  }

  /// No exit message: one per actor fans out through the scheduler, which
  /// CAF's `stealing` policy cannot take (docs/design.md, "Retiring user
  /// actors"). Handed over in chunks: a departure costs a vector append.
  void retire(user_actor&& actor) override {
    view->retiring.push_back(std::move(actor));
    if (view->retiring.size() >= reap_chunk) {
      reap();
    } else if (!reap_scheduled) {
      reap_scheduled = true;
      self->delayed_send(handle, reap_delay, reap_atom::value);
    }
  }

  void on_reap() {
    reap_scheduled = false;
    reap();
  }

  void reap() {
    retirement.hand_over(self, view->retiring);
  }

  void maybe_flush_events() {
    core->subs.maybe_flush_events();
  }

  void flush() {
    flush_scheduled = false;
    core->flush();
  }

  uint32_t client_of(const caf::actor& reply_to) {
    bool added = false;
    auto idx = core->replies.client_of(reply_to, added);
    if (added)
      self->monitor(reply_to);
    return idx;
  }

  void on_down(const caf::down_msg& dm) {
    if (core->link.attached() && dm.source == core->link.cluster().address()) {
      core->changes.drop_remote_sessions();
      core->cluster_detached();
      core->link.detach();
      admit.set_cluster(caf::actor{});
      maybe_flush_events();
      return;
    }
    core->on_down(dm.source.id(), dm.reason);
  }

  // -- typed requests -----------------------------------------------------------

  /// Every typed request: its operation built by the call struct the facade
  /// builds it with (client_calls.hpp), then taken in as a typed request,
  /// whose origin has it checked with the facade's checks.
  template <class Call>
  caf::result<typename Call::result_type> typed_request(Call call) {
    client_op op;
    call.fill(op);
    if (auto err = receive_op(op, origin::typed_request, lim))
      return err;
    auto rp = self->make_response_promise();
    core->handle(std::move(op), reply_target{reply_target::no_client, 0, rp});
    return rp;
  }
};

} // namespace presence::detail

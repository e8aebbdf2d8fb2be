#include "actors/registry_actor.hpp"

#include <optional>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/optional.hpp>
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

namespace {

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

registry_internal_actor::behavior_type
registry_behavior(registry_pointer self, settings cfg,
                  std::shared_ptr<presence_view> view) {
  self->state.init(self, cfg, view);
  self->set_down_handler([=](caf::down_msg& dm) {
    // CAF sends a down message as its source; one sent by anybody else is
    // forged (it could make the registry forget its facade client or a
    // pusher) and ignored.
    if (caf::actor_cast<caf::actor_addr>(self->current_sender())
        != dm.source) {
      self->state.admit.count_rejected();
      return;
    }
    self->state.on_down(dm);
  });
  // Anything the interface does not name: counted and dropped (answered with
  // malformed_message if it is a request), never printed or bounced.
  self->set_default_handler(
    [=](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
      self->state.admit.count_rejected();
      if (self->current_message_id().is_request())
        return make_error(error::malformed_message, "unexpected message");
      return caf::delegated<caf::message>{};
    });
  // A bare error message would make CAF's default error handler quit.
  self->set_error_handler(
    [=](caf::scheduled_actor*, caf::error&) {
      self->state.admit.count_rejected();
    });
  // User actors live only as long as the registry that knows them. Their
  // handles are dropped here, not sent exit messages: one exit per actor fans
  // out through the scheduler, which took minutes for a million online users
  // under CAF's stealing policy (docs/design.md, "Retiring user actors").
  self->attach_functor([view](const caf::error&) {
    // Each handle is the actor's last reference: destroyed right here.
    view->take_actors();
  });
  using str = std::string;
  return {
    [=](mark_online_atom, online_user& user) {
      return self->state.typed_request(mark_online_call{user});
    },
    [=](mark_online_atom, online_user& user, login_policy& policy) {
      return self->state.typed_request(mark_online_call{user, &policy});
    },
    [=](update_metadata_atom, str& login_id, str& token,
        metadata_map& metadata) {
      return self->state.typed_request(
        metadata_call{login_id, token, metadata});
    },
    [=](stats_atom) -> caf::result<presence_stats> {
      return self->state.view->stats();
    },
    [=](kick_session_atom, str& login_id, str& token, str& reason) {
      auto msg = make_kick_out_message(std::move(reason));
      return self->state.typed_request(
        kick_call::session(login_id, token, msg));
    },
    [=](kick_device_atom, str& login_id, str& device, str& reason) {
      auto msg = make_kick_out_message(std::move(reason));
      return self->state.typed_request(
        kick_call::device_type(login_id, device, msg));
    },
    [=](subscribe_events_atom, event_subscriber_actor& s) {
      return self->state.typed_request(
        member_call{op_kind::subscribe_events, s});
    },
    [=](unsubscribe_events_atom, event_subscriber_actor& s) {
      return self->state.typed_request(
        member_call{op_kind::unsubscribe_events, s});
    },
    [=](mark_offline_atom, str& login_id, str& token) {
      return self->state.typed_request(
        session_call{op_kind::mark_offline, login_id, &token});
    },
    [=](mark_offline_all_atom, str& login_id) {
      return self->state.typed_request(
        session_call{op_kind::mark_offline_all, login_id});
    },
    [=](update_activity_atom, str& login_id, str& token) {
      return self->state.typed_request(
        session_call{op_kind::update_activity, login_id, &token});
    },
    [=](is_online_atom, const str& login_id) -> caf::result<bool> {
      if (auto err = validate_login_id(login_id, self->state.lim))
        return err;
      return self->state.table().find_online(login_id) != nullptr;
    },
    [=](online_count_atom) -> caf::result<uint64_t> {
      return self->state.table().user_count();
    },
    [=](session_count_atom) -> caf::result<uint64_t> {
      return self->state.table().session_count();
    },
    [=](online_users_atom) -> caf::result<std::vector<str>> {
      return self->state.table().online_ids();
    },
    [=](user_sessions_atom,
        const str& login_id) -> caf::result<std::vector<online_user>> {
      if (auto err = validate_login_id(login_id, self->state.lim))
        return err;
      if (auto e = self->state.table().find(login_id))
        return e->online_users(self->state.view->nodes);
      return std::vector<online_user>{};
    },
    [=](push_atom, str& login_id, push_message& msg) {
      return self->state.typed_request(push_call{login_id, msg});
    },
    [=](push_atom, std::vector<str>& login_ids, push_message& msg) {
      return self->state.typed_request(push_users_call{login_ids, msg});
    },
    [=](broadcast_atom, push_message& msg) {
      return self->state.typed_request(broadcast_call{msg});
    },
    [=](kick_atom, str& login_id, str& reason) {
      auto msg = make_kick_out_message(std::move(reason));
      return self->state.typed_request(kick_call::user(login_id, msg));
    },
    [=](subscribe_atom, pusher_actor& p) {
      return self->state.typed_request(member_call{op_kind::subscribe, p});
    },
    [=](unsubscribe_atom, pusher_actor& p) {
      return self->state.typed_request(member_call{op_kind::unsubscribe, p});
    },
    [=](batch_atom, client_batch& batch) {
      auto& st = self->state;
      auto from = st.admit.origin_of(batch);
      if (!from) {
        st.admit.reject("a batch whose reply address is not its sender");
        return;
      }
      auto idx = st.client_of(batch.reply_to);
      st.core->handle_batch(batch.ops, *from, idx, st.lim);
      st.core->replies.batch_done(idx, std::move(batch.ops));
      st.maybe_flush_events();
    },
    [=](flush_atom) {
      if (self->state.admit.from_self())
        self->state.flush();
    },
    [=](reap_atom) {
      if (self->state.admit.from_self())
        self->state.on_reap();
    },
    [=](sweep_atom) {
      if (self->state.admit.from_self())
        self->state.core->routing.on_sweep();
    },
    [=](trim_atom) {
      if (self->state.admit.from_self())
        self->state.core->on_trim();
    },
    [=](user_update& u) {
      // A user actor's answer to an idle check. on_expired only acts on one
      // from the user's current actor; one from an actor that is no user
      // actor at all is forged, and counted.
      auto& st = self->state;
      if (u.kind != update_kind::expire || !st.admit.sender_is_user_actor()) {
        st.admit.reject("not an idle check answer from a user actor");
        return;
      }
      st.core->changes.on_expired(u, self->current_sender()->id());
      self->state.maybe_flush_events();
    },
    [=](tick_atom) {
      if (self->state.admit.from_self())
        self->state.core->changes.on_tick();
    },
    [=](timeout_atom) {
      if (self->state.admit.from_self())
        self->state.core->relays.expire();
    },
    [=](attach_cluster_atom, str& node,
        caf::actor& cluster) -> caf::result<local_changes> {
      auto& st = self->state;
      if (!st.admit.may_attach(cluster))
        return caf::delegated<local_changes>{};
      auto xs = st.core->link.attach(std::move(node), cluster);
      if (!xs)
        return std::move(xs.error());
      st.admit.set_cluster(cluster);
      // A cluster actor that dies takes the other nodes' sessions with it
      // (on_down); a new one can attach then.
      self->monitor(cluster);
      return std::move(*xs);
    },
    [=](replica_atom, remote_update& u) {
      auto& st = self->state;
      if (st.admit.from_cluster()) {
        st.core->apply_remote(u, st.lim);
        st.maybe_flush_events();
      }
    },
    [=](move_out_atom, str& login_id, str& token, str& node) {
      auto& st = self->state;
      if (st.admit.from_cluster()) {
        st.core->changes.move_out(login_id, token, node);
        st.maybe_flush_events();
      }
    },
    [=](node_event_atom, bool up, str& node) {
      auto& st = self->state;
      if (st.admit.from_cluster()) {
        st.core->node_event(up, node, st.lim);
        st.maybe_flush_events();
      }
    },
    [=](peer_stats_atom, std::vector<peer_stats>& peers,
        uint64_t digest) {
      auto& st = self->state;
      if (st.admit.from_cluster())
        st.core->set_peer_stats(std::move(peers), digest);
    },
    [=](routed_atom, str& node, uint64_t ticket, op_result& r) {
      auto& st = self->state;
      if (st.admit.from_cluster()) {
        st.core->route_answer(node, ticket, std::move(r));
        st.maybe_flush_events();
      }
    },
    [=](pushed_atom, uint64_t batch, const caf::error& err) {
      auto sender = self->current_sender();
      if (sender != nullptr)
        self->state.core->relays.on_answer(sender->id(), batch, err);
    },
  };
}

} // namespace

registry_internal_actor
spawn_registry_actor(caf::actor_system& sys, const settings& cfg,
                     std::shared_ptr<presence_view> view) {
  return sys.spawn(registry_behavior, cfg, std::move(view));
}

} // namespace presence::detail

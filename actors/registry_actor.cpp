#include "actors/registry_actor.hpp"

#include <caf/optional.hpp>

#include "actors/registry_state.hpp"

namespace presence::detail {

namespace {

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
    [=](mark_offline_all_atom, std::vector<str>& login_ids) {
      return self->state.typed_request(logout_users_call{login_ids});
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

#include "actors/cluster_actor.hpp"

#include "actors/cluster_state.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "cluster/dial_schedule.hpp"
#include "cluster/owner_log.hpp"
#include "cluster/peer_requests.hpp"
#include "cluster/replica_state.hpp"
#include "cluster/view_resolver.hpp"
#include "cluster/wire_check.hpp"
#include "presence/detail/cluster_feed.hpp"
#include "presence/detail/protocol.hpp"
#include "presence/cluster_error.hpp"
#include "presence/error.hpp"

namespace presence::cluster {

namespace {

using namespace std::chrono_literals;
using detail::local_changes;
using detail::op_result;

using cluster_impl = caf::stateful_actor<cluster_state>;

/// Refusals go to stderr at once, one whole line per write (stdout may be a
/// pipe that buffers, and the dialer logs there too).
void log_line(const std::string& line) {
  auto text = line + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
}

caf::behavior running_behavior(cluster_impl* self);

/// Waits for its listening port (known only once it is published), then
/// attaches to the registry and starts dialing; what arrives before that
/// waits in the mailbox.
caf::behavior cluster_behavior(cluster_impl* self) {
  self->set_default_handler(
    [=](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
      if (!self->state.started)
        return caf::skip;
      ++self->state.counters.dropped;
      return caf::delegated<caf::message>{};
    });
  self->set_error_handler([=](caf::scheduled_actor*, caf::error&) {
    ++self->state.counters.ignored;
  });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    // Only an actor of this node that names itself may stop the cluster
    // actor. An anonymous exit message is refused too: one from a peer
    // arrives without a sender, like a local anon_send_exit (a published
    // actor would die of it with CAF's defaults).
    auto& src = self->current_sender();
    if (src == nullptr || src->node() != self->node()
        || msg.source != caf::actor_cast<caf::actor_addr>(src)) {
      ++self->state.counters.ignored;
      return;
    }
    self->state.leave();
    self->quit(msg.reason);
  });
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (caf::actor_cast<caf::actor_addr>(self->current_sender()) != dm.source) {
      ++st.counters.dropped;
      return;
    }
    if (dm.source == st.registry.address()) {
      // The cluster serves one registry and goes with it.
      st.leave();
      self->quit(dm.reason);
      return;
    }
    st.lost(dm.source, change_reason::owner_down, "node_down");
  });
  self->monitor(self->state.registry);
  return {
    [=](start_atom, std::string& node, std::string& host,
        uint16_t port) -> caf::result<bool> {
      auto& st = self->state;
      if (!st.from_this_node() || st.started)
        return make_error(error::malformed_message, "start: not from here");
      st.start(std::move(node), std::move(host), port);
      self->become(running_behavior(self));
      auto rp = self->make_response_promise<bool>();
      self
        ->request(st.registry, caf::infinite,
                  detail::attach_cluster_atom::value, st.cfg.self.node,
                  caf::actor_cast<caf::actor>(self))
        .then(
          [=](local_changes& xs) mutable {
            self->state.on_local(std::move(xs));
            self->state.start_due_dials();
            rp.deliver(true);
          },
          [=](caf::error& err) mutable {
            rp.deliver(err);
            self->quit(err);
          });
      self->send(self, cluster_tick_atom::value);
      return rp;
    },
  };
}

/// A forwarded write of this node's registry for `node`'s sessions: sent to
/// the owner as a request that may take `timeout`, and failed at once with
/// remote_link_unreachable if the node is not linked or is lost meanwhile
/// (CAF 0.17 would let it wait).
template <class Atom>
caf::result<op_result> ask_owner(cluster_impl* self, const std::string& node,
                                 caf::timespan timeout, Atom what,
                                 detail::client_op& op) {
  auto& st = self->state;
  if (!st.from_this_node())
    return make_error(error::malformed_message, "an owner's op from a peer");
  auto p = st.members.find(node);
  if (p == nullptr)
    return caf::make_error(caf::exit_reason::remote_link_unreachable);
  auto rp = self->make_response_promise<op_result>();
  auto id = st.open_requests.add(node, rp);
  self->request(p->handle, timeout, what, std::move(op))
    .then(
      [=](op_result& r) {
        caf::response_promise open;
        if (self->state.open_requests.take(node, id, open))
          open.deliver(std::move(r));
      },
      [=](caf::error& err) {
        caf::response_promise open;
        if (self->state.open_requests.take(node, id, open))
          open.deliver(std::move(err));
      });
  return rp;
}

/// Largest number of login ids a peer may route in one push (the sender
/// caps its own far lower).
constexpr size_t max_routed_ids = 65536;

/// A peer's push for this node's sessions: handed to the registry as a
/// client batch (origin cluster_peer), which delivers it locally only; the
/// result goes back to the peer one-way, under the peer's ticket.
void take_routed_push(cluster_impl* self, detail::client_op& op) {
  auto& st = self->state;
  auto p = st.sender_peer();
  if (p == nullptr)
    return;
  if ((op.kind != detail::op_kind::push_users
       && op.kind != detail::op_kind::broadcast)
      || op.login_ids.size() > max_routed_ids) {
    ++st.counters.dropped;
    op_result r;
    r.err = make_error(error::malformed_message, "not a routed push");
    st.answer_peer(p->handle, op.ticket, std::move(r));
    return;
  }
  cluster_state::peer_op waiter;
  waiter.peer = p->handle;
  waiter.ticket = op.ticket;
  st.hand_to_registry(std::move(op), std::move(waiter));
}

caf::behavior running_behavior(cluster_impl* self) {
  return {
    // -- from the registry ----------------------------------------------------
    [=](detail::local_changes_atom, local_changes& xs) {
      auto& st = self->state;
      if (self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(
            st.registry)) {
        ++st.counters.dropped;
        return;
      }
      st.on_local(std::move(xs));
    },
    [=](detail::forward_atom what, std::string& node,
        detail::client_op& op) -> caf::result<op_result> {
      return ask_owner(self, node, self->state.cfg.request_timeout, what, op);
    },
    [=](detail::route_atom, std::string& node, detail::client_op& op) {
      auto& st = self->state;
      if (!st.from_this_node()) {
        ++st.counters.dropped;
        return;
      }
      st.route(std::move(node), std::move(op));
    },
    [=](detail::results_atom, detail::client_results& xs) {
      auto& st = self->state;
      if (self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(
            st.registry)) {
        ++st.counters.dropped;
        return;
      }
      for (auto& r : xs.results)
        st.answer_peer_op(r.ticket, std::move(r));
    },
    // -- joins ------------------------------------------------------------------
    [=](dial_result_atom, uint64_t attempt, caf::actor& peer) {
      auto& st = self->state;
      if (!st.from_this_node() || st.dials.in_flight(attempt) == nullptr)
        return;
      self->request(peer, st.cfg.request_timeout, hello_atom::value, st.mine)
        .then(
          [=](hello& theirs) {
            auto& st = self->state;
            if (auto err = check_hello(st.mine, theirs)) {
              ++st.counters.refused;
              log_line("presence.cluster: join refused: "
                       + render_cluster(err));
              st.dials.failed(attempt, st.now());
              return;
            }
            st.dials.linked(attempt);
            st.establish(peer, theirs.self, false);
          },
          [=](caf::error& err) {
            auto& st = self->state;
            if (is(err, cluster_error::join_refused)) {
              ++st.counters.refused;
              log_line("presence.cluster: the peer refused the join: "
                       + render_cluster(err));
            }
            st.dials.failed(attempt, st.now());
          });
    },
    [=](dial_result_atom, uint64_t attempt, caf::error&) {
      auto& st = self->state;
      if (st.from_this_node())
        st.dials.failed(attempt, st.now());
    },
    [=](hello_atom, hello& theirs) -> caf::result<hello> {
      auto& st = self->state;
      auto sender = caf::actor_cast<caf::actor>(self->current_sender());
      if (!sender || sender.node() == self->node())
        return make_error(cluster_error::join_refused, "a join from this node");
      if (auto err = check_hello(st.mine, theirs)) {
        ++st.counters.refused;
        return err;
      }
      // One link speaks for one node and incarnation. Joined again as
      // another, membership would name the actor after the new one and the
      // old one would stay up, its sessions shown, after the link is lost.
      if (auto p = st.members.find(sender.address());
          p != nullptr && !(p->address.node == theirs.self.node
                            && p->address.incarnation
                                 == theirs.self.incarnation)) {
        ++st.counters.refused;
        return make_error(cluster_error::join_refused,
                          "this link joined as node '" + p->address.node
                            + "' (incarnation "
                            + std::to_string(p->address.incarnation) + ")");
      }
      st.establish(sender, theirs.self, true);
      return st.mine;
    },
    [=](leave_atom, incarnation_id incarnation) {
      auto& st = self->state;
      auto p = st.sender_peer();
      if (p == nullptr || p->address.incarnation != incarnation)
        return;
      auto addr = p->handle.address();
      self->demonitor(addr);
      st.lost(addr, change_reason::owner_left, "node_left");
    },
    [=](gossip_atom, std::vector<node_address>& xs) {
      auto& st = self->state;
      if (st.sender_peer() == nullptr)
        return;
      for (auto& x : xs) {
        hello h = st.mine;
        h.self = x;
        if (x.node == st.cfg.self.node || check_hello(st.mine, h))
          continue;
        if (st.members.learn(x) && st.should_dial(x.node))
          st.dials.add(x.host, x.port, st.now());
      }
      st.start_due_dials();
    },
    // -- replication ------------------------------------------------------------
    [=](delta_atom, owner_delta& d) {
      auto& st = self->state;
      auto p = st.sender_peer();
      if (p == nullptr || !st.speaks_for_itself(*p, d.owner, d.incarnation))
        return;
      if (check_delta(d, st.cfg.lim)) {
        ++st.counters.dropped;
        return;
      }
      p->announced = std::max(p->announced, d.seq);
      auto bytes = wire_size(d);
      auto owner = d.owner;
      st.apply(owner, st.replicas.apply(std::move(d)), "replicated");
      st.took(*p, bytes);
    },
    [=](snapshot_atom, snapshot_chunk& x) {
      auto& st = self->state;
      auto p = st.sender_peer();
      if (p == nullptr || !st.speaks_for_itself(*p, x.owner, x.incarnation))
        return;
      if (check_chunk(x, st.cfg.lim)) {
        ++st.counters.dropped;
        return;
      }
      p->announced = std::max(p->announced, x.seq);
      auto r = st.replicas.apply(x);
      st.took(*p, wire_size(x));
      if (r.status == apply_status::pending)
        return;
      auto reason = st.arriving.count(x.owner) > 0 ? "node_up" : "replicated";
      if (r.status != apply_status::needs_snapshot) {
        st.arriving.erase(x.owner);
        st.resyncing.erase(x.owner);
      }
      st.apply(x.owner, std::move(r), reason);
    },
    [=](status_atom, incarnation_id incarnation, seq_number seq) {
      auto& st = self->state;
      auto p = st.sender_peer();
      if (p == nullptr || p->address.incarnation != incarnation)
        return;
      p->announced = std::max(p->announced, seq);
      if (st.replicas.behind(p->address.node, incarnation, seq))
        st.ask_snapshot(p->address.node);
    },
    [=](resync_atom) {
      auto& st = self->state;
      if (auto p = st.sender_peer())
        st.send_snapshot(*p);
    },
    [=](ack_atom, incarnation_id incarnation, seq_number seq) {
      // The peer applied this node's changes through seq: an ack of another
      // incarnation or past what was sent is refused (peer_window.hpp).
      auto& st = self->state;
      auto p = st.sender_peer();
      if (p == nullptr)
        return;
      if (incarnation != st.log.incarnation() || !p->window.ack(seq)) {
        ++st.counters.dropped;
        return;
      }
      if (p->window.snapshot_due())
        st.send_snapshot(*p);
    },
    [=](detail::forward_atom, detail::client_op& op)
      -> caf::result<op_result> {
      auto& st = self->state;
      if (st.sender_peer() == nullptr)
        return make_error(error::malformed_message, "not a peer");
      cluster_state::peer_op waiter;
      waiter.rp = self->make_response_promise();
      auto rp = waiter.rp;
      st.hand_to_registry(std::move(op), std::move(waiter));
      return rp;
    },
    [=](detail::route_atom, detail::client_op& op) {
      take_routed_push(self, op);
    },
    [=](detail::routed_atom, uint64_t ticket, op_result& r) {
      // An owner's answer to a push this node routed: only from the peer
      // it went to (routed_pushes.hpp).
      auto& st = self->state;
      auto p = st.sender_peer();
      if (p == nullptr)
        return;
      routed_pushes::entry e;
      if (!st.routes.take(p->address.node, ticket, e)) {
        ++st.counters.dropped;
        return;
      }
      st.answer_route(e.node, e.ticket, std::move(r));
    },
    // -- local queries and the timer ---------------------------------------------
    [=](greet_atom, std::string& node, incarnation_id incarnation) {
      auto& st = self->state;
      if (caf::actor_cast<caf::actor_addr>(self->current_sender())
          == self->address())
        st.greet(node, incarnation);
    },
    [=](members_atom) { return self->state.member_list(); },
    [=](digest_atom) {
      auto& st = self->state;
      return st.replicas.digest() + st.log.digest();
    },
    [=](stats_atom) { return self->state.counters; },
    [=](cluster_tick_atom) {
      auto& st = self->state;
      if (!st.from_this_node())
        return;
      st.announce();
      st.report_peers();
      st.expire_routes();
      // Gossip now and then too: an address a peer missed (it was
      // partitioned, or joined in between) reaches it within a few ticks.
      if (++st.ticks % 4 == 0)
        st.gossip();
      st.start_due_dials();
      self->delayed_send(self, st.cfg.tick_interval, cluster_tick_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_cluster_actor(caf::actor_system& sys, caf::actor registry,
                               cluster_config cfg, dial_function dial) {
  return sys.spawn(
    [](cluster_impl* self, caf::actor registry, cluster_config cfg,
       dial_function dial) {
      self->state.init(std::move(registry), std::move(cfg), std::move(dial));
      return cluster_behavior(self);
    },
    std::move(registry), std::move(cfg), std::move(dial));
}

} // namespace presence::cluster

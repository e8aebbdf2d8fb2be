#include "actors/cluster_actor.hpp"

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

struct cluster_state {
  static inline const char* name = "presence.cluster";

  explicit cluster_state(caf::event_based_actor* self)
    : self(self), log("", 0), members(node_address{}), dials(0) {
    // nop
  }

  void init(caf::actor registry_handle, cluster_config config,
            dial_function dial_fn) {
    registry = std::move(registry_handle);
    cfg = std::move(config);
    dial = std::move(dial_fn);
    log = owner_log(cfg.self.node, cfg.self.incarnation);
    dials = dial_schedule(cfg.self.incarnation);
    members = membership(cfg.self);
    mine.cluster = cfg.cluster;
    mine.self = cfg.self;
    mine.heartbeat_ms = cfg.heartbeat_ms;
    mine.connection_timeout_ms = cfg.connection_timeout_ms;
  }

  /// Tells every peer at once that this node leaves, so they drop its
  /// sessions without waiting for the link to fail.
  void leave() {
    for (auto p : members.linked())
      self->send(p->handle, leave_atom::value, cfg.self.incarnation);
  }

  /// The node is `node`, and peers reach it at host:port now.
  void start(std::string node, std::string host, uint16_t port) {
    started = true;
    cfg.self.node = std::move(node);
    cfg.self.host = std::move(host);
    cfg.self.port = port;
    mine.self = cfg.self;
    log = owner_log(cfg.self.node, cfg.self.incarnation);
    members = membership(cfg.self);
    for (auto& [host, seed_port] : cfg.seeds)
      dials.add(host, seed_port, dial_schedule::clock::now());
  }

  bool started = false;

  caf::event_based_actor* self;
  caf::actor registry;
  cluster_config cfg;
  dial_function dial;
  hello mine;
  owner_log log;
  replica_state replicas;
  membership members;
  dial_schedule dials;
  cluster_counters counters;
  /// Owners this node asked for a snapshot and has not had one from yet:
  /// one request at a time per owner.
  std::set<std::string> resyncing;
  /// Owners whose first snapshot since their join has not completed: its
  /// sessions arrive with reason "node_up".
  std::set<std::string> arriving;
  /// Writes forwarded here by peers, waiting for the registry's answer, by
  /// the ticket this actor gave them.
  std::map<uint64_t, caf::response_promise> forwarded;
  /// Pushes routed to peers, waiting for their owner's answer.
  peer_requests routed;
  uint64_t next_ticket = 1;
  uint64_t ticks = 0;

  // -- to the registry ---------------------------------------------------------

  void tell_registry(std::vector<registry_step>&& steps) {
    for (auto& step : steps) {
      if (step.what == registry_step::kind::move_out) {
        // Ours is out from now on, not only once the registry's removal
        // comes back: until then the resolver would take the log's copy for
        // the one the table shows, and skip the winner's later changes and
        // its removal (a session of a lost peer would stay in the table).
        if (auto d = log.remove(step.login_id, step.token))
          broadcast_delta(*d);
        self->send(registry, detail::move_out_atom::value,
                   std::move(step.login_id), std::move(step.token),
                   std::move(step.winner));
      } else if (!step.update.changes.empty())
        self->send(registry, detail::replica_atom::value,
                   std::move(step.update));
    }
  }

  void apply(const std::string& owner, apply_result&& r,
             const std::string& reason) {
    if (r.status == apply_status::needs_snapshot) {
      ask_snapshot(owner);
      return;
    }
    tell_registry(resolve(r.changes, reason, log, replicas));
  }

  void drop_owner(const std::string& owner, change_reason why,
                  const std::string& reason) {
    resyncing.erase(owner);
    arriving.erase(owner);
    tell_registry(resolve(replicas.drop_owner(owner, why), reason, log,
                          replicas));
  }

  // -- to peers ----------------------------------------------------------------

  void send_snapshot(const caf::actor& peer) {
    for (auto& chunk : log.snapshot(cfg.max_batch_bytes))
      self->send(peer, snapshot_atom::value, std::move(chunk));
  }

  void ask_snapshot(const std::string& owner) {
    auto p = members.find(owner);
    if (p == nullptr || !resyncing.insert(owner).second)
      return;
    self->send(p->handle, resync_atom::value);
  }

  void broadcast_delta(const owner_delta& d) {
    for (auto p : members.linked())
      self->send(p->handle, delta_atom::value, d);
  }

  void gossip() {
    auto addresses = members.gossip();
    for (auto p : members.linked())
      self->send(p->handle, gossip_atom::value, addresses);
  }

  // -- this node's own sessions ----------------------------------------------

  void on_local(local_changes&& xs) {
    std::vector<session_op> ops;
    ops.reserve(std::min(xs.size(), max_ops_per_delta));
    auto flush = [&] {
      if (auto d = log.commit(std::move(ops)))
        broadcast_delta(*d);
      ops.clear();
    };
    for (auto& x : xs) {
      auto& u = x.session;
      session_op op;
      op.kind = x.removed ? op_kind::remove : op_kind::upsert;
      op.session = replica_session{u.login_id,      u.token,
                                   u.device,        u.connect_time,
                                   u.last_activity, std::move(u.metadata)};
      if (!x.removed)
        move_out_if_beaten(op.session);
      ops.push_back(std::move(op));
      if (ops.size() == max_ops_per_delta)
        flush();
    }
    flush();
  }

  /// A new local session loses to a peer's newer claim on its token only
  /// when clocks disagree; the order still decides, here as everywhere.
  void move_out_if_beaten(const replica_session& x) {
    claim ours{x.connect_time, cfg.self.incarnation, x.token};
    for (auto& h : replicas.holders(x.login_id, x.token))
      if (wins(claim{h.session.connect_time, h.incarnation, h.session.token},
               ours)) {
        self->send(registry, detail::move_out_atom::value, x.login_id,
                   x.token, h.owner);
        return;
      }
  }

  // -- joins -------------------------------------------------------------------

  /// With `answering`, the peer's hello is still waiting for this node's
  /// answer: the snapshot and gossip follow in a message to itself, so they
  /// reach the peer after the answer (before it, the peer would drop them as
  /// coming from a node it has not joined yet).
  void establish(caf::actor peer, const node_address& addr, bool answering) {
    auto kind = members.joined(addr, peer);
    if (kind == membership::join_kind::again)
      return;
    if (kind == membership::join_kind::new_incarnation)
      drop_owner(addr.node, change_reason::new_incarnation, "node_down");
    self->monitor(peer);
    arriving.insert(addr.node);
    self->send(registry, detail::node_event_atom::value, true, addr.node);
    if (answering) {
      self->send(self, greet_atom::value, addr.node, addr.incarnation);
      return;
    }
    greet(addr.node, addr.incarnation);
  }

  /// Sends a newly joined peer this node's sessions, and everybody the news.
  void greet(const std::string& node, incarnation_id incarnation) {
    auto p = members.find(node);
    if (p == nullptr || p->address.incarnation != incarnation)
      return;
    send_snapshot(p->handle);
    gossip();
  }

  void lost(const caf::actor_addr& addr, change_reason why,
            const std::string& reason) {
    auto name = members.lost(addr);
    if (!name)
      return;
    drop_owner(*name, why, reason);
    routed.fail(*name, caf::make_error(caf::exit_reason::remote_link_unreachable));
    self->send(registry, detail::node_event_atom::value, false, *name);
    // A crashed node may come back on its address: the side that dials
    // (the smaller name, or whoever has the address as a seed) keeps trying.
    for (auto& m : members.members({}))
      if (m.node == *name && (should_dial(m.node) || is_seed(m.host, m.port)))
        dials.add(m.host, m.port, dial_schedule::clock::now() + 100ms);
  }

  bool is_seed(const std::string& host, uint16_t port) const {
    for (auto& [h, p] : cfg.seeds)
      if (h == host && p == port)
        return true;
    return false;
  }

  bool should_dial(const std::string& node) const {
    return cfg.self.node < node;
  }

  void start_due_dials() {
    for (auto& t : dials.take_due(dial_schedule::clock::now()))
      dial(caf::actor_cast<caf::actor>(self), t.attempt, t.host, t.port);
  }

  // -- peers' messages ---------------------------------------------------------

  /// The peer that sent the current message, if it joined.
  membership::peer* sender_peer() {
    auto src = caf::actor_cast<caf::actor_addr>(self->current_sender());
    auto p = members.find(src);
    if (p == nullptr)
      ++counters.dropped;
    return p;
  }

  /// Whether `owner` and `incarnation` are the sending peer's own: nobody
  /// relays another owner's sessions.
  bool speaks_for_itself(const membership::peer& p, const std::string& owner,
                         incarnation_id incarnation) {
    if (owner == p.address.node && incarnation == p.address.incarnation)
      return true;
    ++counters.dropped;
    return false;
  }

  /// A peer's op for this node's sessions goes to the registry as a client
  /// batch (origin cluster_peer); its result answers the peer.
  caf::response_promise hand_to_registry(detail::client_op&& op) {
    auto ticket = next_ticket++;
    op.ticket = ticket;
    detail::client_batch batch;
    batch.reply_to = caf::actor_cast<caf::actor>(self);
    batch.ops.push_back(std::move(op));
    self->send(registry, detail::batch_atom::value, std::move(batch));
    auto rp = self->make_response_promise();
    forwarded.emplace(ticket, rp);
    return rp;
  }

  bool from_this_node() const {
    auto& src = self->current_sender();
    return src != nullptr && src->node() == self->node();
  }
};

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

/// A push's part for `node`'s sessions, from this node's registry: sent to
/// the owner as a request that may take its pusher timeout plus the request
/// timeout, and failed at once if the node is not linked or is lost.
caf::result<op_result> route_push(cluster_impl* self, const std::string& node,
                                  detail::client_op& op) {
  auto& st = self->state;
  if (!st.from_this_node())
    return make_error(error::malformed_message, "route from a peer");
  auto p = st.members.find(node);
  if (p == nullptr)
    return caf::make_error(caf::exit_reason::remote_link_unreachable);
  auto rp = self->make_response_promise<op_result>();
  auto id = st.routed.add(node, rp);
  self
    ->request(p->handle, st.cfg.request_timeout + st.cfg.pusher_timeout,
              detail::route_atom::value, std::move(op))
    .then(
      [=](op_result& r) {
        caf::response_promise open;
        if (self->state.routed.take(node, id, open))
          open.deliver(std::move(r));
      },
      [=](caf::error& err) {
        caf::response_promise open;
        if (self->state.routed.take(node, id, open))
          open.deliver(std::move(err));
      });
  return rp;
}

/// Largest number of login ids a peer may route in one push (the sender
/// caps its own far lower).
constexpr size_t max_routed_ids = 65536;

/// A peer's push for this node's sessions: handed to the registry as a
/// client batch (origin cluster_peer), which delivers it locally only.
caf::result<op_result> take_routed_push(cluster_impl* self,
                                        detail::client_op& op) {
  auto& st = self->state;
  if (st.sender_peer() == nullptr)
    return make_error(error::malformed_message, "not a peer");
  if ((op.kind != detail::op_kind::push_users
       && op.kind != detail::op_kind::broadcast)
      || op.login_ids.size() > max_routed_ids) {
    ++st.counters.dropped;
    return make_error(error::malformed_message, "not a routed push");
  }
  return st.hand_to_registry(std::move(op));
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
    [=](detail::forward_atom, std::string& node,
        detail::client_op& op) -> caf::result<op_result> {
      auto& st = self->state;
      if (!st.from_this_node())
        return make_error(error::malformed_message, "forward from a peer");
      auto p = st.members.find(node);
      if (p == nullptr)
        return caf::make_error(caf::exit_reason::remote_link_unreachable);
      auto rp = self->make_response_promise<op_result>();
      self->request(p->handle, st.cfg.request_timeout, detail::forward_atom::value,
                    std::move(op))
        .then([rp](op_result& r) mutable { rp.deliver(std::move(r)); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](detail::route_atom, std::string& node,
        detail::client_op& op) -> caf::result<op_result> {
      return route_push(self, node, op);
    },
    [=](detail::results_atom, detail::client_results& xs) {
      auto& st = self->state;
      if (self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(
            st.registry)) {
        ++st.counters.dropped;
        return;
      }
      for (auto& r : xs.results) {
        auto i = st.forwarded.find(r.ticket);
        if (i == st.forwarded.end())
          continue;
        i->second.deliver(std::move(r));
        st.forwarded.erase(i);
      }
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
              st.dials.failed(attempt, dial_schedule::clock::now());
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
            st.dials.failed(attempt, dial_schedule::clock::now());
          });
    },
    [=](dial_result_atom, uint64_t attempt, caf::error&) {
      auto& st = self->state;
      if (st.from_this_node())
        st.dials.failed(attempt, dial_schedule::clock::now());
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
          st.dials.add(x.host, x.port, dial_schedule::clock::now());
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
      st.apply(d.owner, st.replicas.apply(d), "replicated");
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
        st.send_snapshot(p->handle);
    },
    [=](detail::forward_atom, detail::client_op& op)
      -> caf::result<op_result> {
      auto& st = self->state;
      if (st.sender_peer() == nullptr)
        return make_error(error::malformed_message, "not a peer");
      return st.hand_to_registry(std::move(op));
    },
    [=](detail::route_atom, detail::client_op& op) -> caf::result<op_result> {
      return take_routed_push(self, op);
    },
    // -- local queries and the timer ---------------------------------------------
    [=](greet_atom, std::string& node, incarnation_id incarnation) {
      auto& st = self->state;
      if (caf::actor_cast<caf::actor_addr>(self->current_sender())
          == self->address())
        st.greet(node, incarnation);
    },
    [=](members_atom) {
      auto& st = self->state;
      std::map<std::string, uint64_t> applied;
      for (auto& owner : st.replicas.owners())
        applied[owner] = st.replicas.status(owner)->seq;
      return st.members.members(applied);
    },
    [=](digest_atom) {
      auto& st = self->state;
      return st.replicas.digest() + st.log.digest();
    },
    [=](stats_atom) { return self->state.counters; },
    [=](cluster_tick_atom) {
      auto& st = self->state;
      if (!st.from_this_node())
        return;
      for (auto p : st.members.linked())
        self->send(p->handle, status_atom::value, st.log.incarnation(),
                   st.log.seq());
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

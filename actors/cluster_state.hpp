#pragma once

// The cluster actor's state: what it keeps (the node's own sessions, the
// replicas, the peers, the dials) and what it does with them on each
// message. The actor's behaviour (cluster_actor.cpp) admits the messages
// and calls these. Included by cluster_actor.cpp only.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "actors/cluster_actor.hpp"
#include "cluster/dial_schedule.hpp"
#include "cluster/owner_log.hpp"
#include "cluster/peer_requests.hpp"
#include "cluster/peer_window.hpp"
#include "cluster/replica_state.hpp"
#include "cluster/routed_pushes.hpp"
#include "cluster/view_resolver.hpp"
#include "presence/detail/cluster_feed.hpp"
#include "presence/detail/protocol.hpp"
#include "presence/stats.hpp"

namespace presence::cluster {

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
    members = membership(cfg.self, cfg.peer_window_bytes);
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
    members = membership(cfg.self, cfg.peer_window_bytes);
    for (auto& [host, seed_port] : cfg.seeds)
      dials.add(host, seed_port, now());
  }

  bool started = false;

  /// The actor system's clock (steady time; simulated under CAF's test
  /// coordinator, so deterministic tests drive the dial backoff).
  dial_schedule::time_point now() const {
    return self->clock().now();
  }

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
  /// Who waits for the registry's answer to a peer's op: a forwarded
  /// write's response promise, or the peer that routed a push (answered
  /// one-way under its ticket; a handle, so a restarted peer never gets the
  /// answer meant for its old incarnation).
  struct peer_op {
    caf::response_promise rp;
    caf::actor peer;
    uint64_t ticket = 0;
  };
  /// Peers' ops waiting for the registry's answer, by the ticket this actor
  /// gave them.
  std::map<uint64_t, peer_op> forwarded;
  /// Writes forwarded to peers, waiting for their owner's answer; failed at
  /// once when the owner is lost.
  peer_requests open_requests;
  /// Pushes routed to peers, waiting for their owner's answer; failed at
  /// once when the owner is lost, or at the tick after their deadline.
  routed_pushes routes;
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
          broadcast_delta(std::move(*d));
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
    tell_registry(resolve(std::move(r.changes), reason, log, replicas));
  }

  void drop_owner(const std::string& owner, change_reason why,
                  const std::string& reason) {
    resyncing.erase(owner);
    arriving.erase(owner);
    tell_registry(resolve(replicas.drop_owner(owner, why), reason, log,
                          replicas));
  }

  /// This node first, then every node it knows, with their lags.
  std::vector<member_info> member_list() const {
    std::map<std::string, uint64_t> applied;
    for (auto& owner : replicas.owners())
      applied[owner] = replicas.status(owner)->seq;
    return members.members(applied);
  }

  /// The peers and the view digest, for the registry's stats().
  void report_peers() {
    std::vector<peer_stats> peers;
    for (auto& m : member_list())
      if (!m.self)
        peers.push_back(
          peer_stats{m.node, to_string(m.state), m.lag, m.window_bytes});
    self->send(registry, detail::peer_stats_atom::value, std::move(peers),
               replicas.digest() + log.digest());
  }

  // -- to peers ----------------------------------------------------------------

  void send_snapshot(membership::peer& p) {
    auto chunks = log.snapshot(cfg.max_batch_bytes);
    size_t bytes = 0;
    for (auto& chunk : chunks)
      bytes += wire_size(chunk);
    p.window.sent_snapshot(log.seq(), bytes);
    for (auto& chunk : chunks)
      self->send(p.handle, snapshot_atom::value, std::move(chunk));
  }

  void ask_snapshot(const std::string& owner) {
    auto p = members.find(owner);
    if (p == nullptr || !resyncing.insert(owner).second)
      return;
    self->send(p->handle, resync_atom::value);
  }

  /// A peer whose window is full gets no delta: it is stale until it acks
  /// everything in flight, then gets a snapshot (peer_window.hpp).
  void broadcast_delta(owner_delta d) {
    auto bytes = wire_size(d);
    auto to = members.linked();
    to.erase(std::remove_if(to.begin(), to.end(),
                            [&](membership::peer* p) {
                              if (p->window.offer_delta(d.seq, bytes))
                                return false;
                              if (p->window.snapshot_due())
                                send_snapshot(*p);
                              return true;
                            }),
             to.end());
    // The last peer takes the delta itself: with one peer, a copy cost a
    // replicated change about as much as its log entry.
    for (size_t i = 0; i < to.size(); ++i) {
      if (i + 1 < to.size())
        self->send(to[i]->handle, delta_atom::value, d);
      else
        self->send(to[i]->handle, delta_atom::value, std::move(d));
    }
  }

  /// The tick: announces (incarnation, seq) to every peer and acks what
  /// moved. A stale peer hears the last seq sent to it: its copy lags on
  /// purpose, and the owner's seq would make it ask for the snapshot its
  /// drain brings anyway; a peer that lost its copy still asks.
  void announce() {
    for (auto p : members.linked()) {
      auto seq = p->window.stale() ? p->window.last_sent() : log.seq();
      self->send(p->handle, status_atom::value, log.incarnation(), seq);
      ack(*p);
    }
  }

  /// Acks what this node applied of `p`'s own sessions, if that moved
  /// since the last ack.
  void ack(membership::peer& p) {
    auto s = replicas.status(p.address.node);
    if (!s || s->incarnation != p.address.incarnation
        || !p.window.ack_due(s->seq))
      return;
    p.window.acked(s->seq);
    self->send(p.handle, ack_atom::value, s->incarnation, s->seq);
  }

  /// `bytes` of `p`'s deltas or chunks arrived and were applied: acks at
  /// once if half a window came since the last ack.
  void took(membership::peer& p, size_t bytes) {
    if (p.window.received(bytes))
      ack(p);
  }

  void gossip() {
    auto addresses = members.gossip();
    for (auto p : members.linked())
      self->send(p->handle, gossip_atom::value, addresses);
  }

  // -- this node's own sessions ----------------------------------------------

  void on_local(detail::local_changes&& xs) {
    std::vector<session_op> ops;
    size_t left = xs.size();
    auto flush = [&] {
      if (auto d = log.commit(std::move(ops)))
        broadcast_delta(std::move(*d));
      ops.clear();
    };
    for (auto& x : xs) {
      // Sized for what is left: a delta of one change must not allocate
      // room for a full one.
      if (ops.empty())
        ops.reserve(std::min(left, ops_per_sent_delta));
      --left;
      auto& u = x.session;
      auto& op = ops.emplace_back();
      op.session.login_id = std::move(u.login_id);
      op.session.token = std::move(u.token);
      if (x.removed) {
        op.kind = op_kind::remove; // the key is all a removal sends
      } else {
        op.kind = op_kind::upsert;
        op.session.device = std::move(u.device);
        op.session.connect_time = u.connect_time;
        op.session.last_activity = u.last_activity;
        op.session.metadata = std::move(u.metadata);
        move_out_if_beaten(op.session);
      }
      if (ops.size() == ops_per_sent_delta)
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
    if (kind == membership::join_kind::new_incarnation) {
      // The old incarnation's down message may come after this join, and
      // then finds no peer of that handle: fail what waits on it now.
      drop_owner(addr.node, change_reason::new_incarnation, "node_down");
      fail_pending(addr.node);
    }
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
    send_snapshot(*p);
    gossip();
  }

  void lost(const caf::actor_addr& addr, change_reason why,
            const std::string& reason) {
    auto name = members.lost(addr);
    if (!name)
      return;
    drop_owner(*name, why, reason);
    fail_pending(*name);
    self->send(registry, detail::node_event_atom::value, false, *name);
    // A crashed node may come back on its address: the side that dials
    // (the smaller name, or whoever has the address as a seed) keeps trying.
    if (auto a = members.address_of(*name);
        a != nullptr && (should_dial(a->node) || is_seed(a->host, a->port)))
      dials.add(a->host, a->port, now() + std::chrono::milliseconds{100});
  }

  /// Fails the forwarded writes and routed pushes waiting on `node`'s
  /// answer: the incarnation they went to is gone.
  void fail_pending(const std::string& node) {
    auto unreachable
      = caf::make_error(caf::exit_reason::remote_link_unreachable);
    open_requests.fail(node, unreachable);
    for (auto& e : routes.take_all(node))
      answer_route(e.node, e.ticket, unreachable);
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
    for (auto& t : dials.take_due(now()))
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
  /// batch (origin cluster_peer); its result answers `waiter`.
  void hand_to_registry(detail::client_op&& op, peer_op&& waiter) {
    auto ticket = next_ticket++;
    op.ticket = ticket;
    detail::client_batch batch;
    batch.reply_to = caf::actor_cast<caf::actor>(self);
    batch.ops.push_back(std::move(op));
    self->send(registry, detail::batch_atom::value, std::move(batch));
    forwarded.emplace(ticket, std::move(waiter));
  }

  /// The registry's result of a peer's op, to whoever waits for it.
  void answer_peer_op(uint64_t ticket, detail::op_result&& r) {
    auto i = forwarded.find(ticket);
    if (i == forwarded.end())
      return;
    auto waiter = std::move(i->second);
    forwarded.erase(i);
    if (waiter.peer)
      answer_peer(waiter.peer, waiter.ticket, std::move(r));
    else
      waiter.rp.deliver(std::move(r));
  }

  /// Answers a peer's routed push one-way, under the peer's own ticket.
  void answer_peer(const caf::actor& peer, uint64_t ticket,
                   detail::op_result&& r) {
    self->send(peer, detail::routed_atom::value, ticket, std::move(r));
  }

  // -- routed pushes -------------------------------------------------------------

  /// A push's part from the registry for `node`'s sessions, routed one-way
  /// under a ticket of `routes`.
  void route(std::string node, detail::client_op&& op) {
    auto p = members.find(node);
    if (p == nullptr) {
      answer_route(node, op.ticket,
                   caf::make_error(caf::exit_reason::remote_link_unreachable));
      return;
    }
    // The owner may take its pusher timeout on top.
    auto deadline = now() + cfg.request_timeout + cfg.pusher_timeout;
    op.ticket = routes.add(std::move(node), op.ticket, deadline);
    self->send(p->handle, detail::route_atom::value, std::move(op));
  }

  void answer_route(const std::string& node, uint64_t ticket,
                    detail::op_result&& r) {
    self->send(registry, detail::routed_atom::value, node, ticket,
               std::move(r));
  }

  void answer_route(const std::string& node, uint64_t ticket,
                    const caf::error& err) {
    detail::op_result r;
    r.err = err;
    answer_route(node, ticket, std::move(r));
  }

  /// Fails the routed pushes whose owner missed their deadline.
  void expire_routes() {
    for (auto& e : routes.take_expired(now()))
      answer_route(e.node, e.ticket,
                   caf::make_error(caf::sec::request_timeout));
  }

  bool from_this_node() const {
    auto& src = self->current_sender();
    return src != nullptr && src->node() == self->node();
  }
};

} // namespace presence::cluster

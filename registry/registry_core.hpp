#pragma once

// The registry without the actor: its parts wired together, and operations
// handed to the part that does them. The actor (actors/registry_actor.cpp)
// owns one, feeds it messages and implements `registry_callee`.
//
//   client_replies   where answers go (facade clients, typed requests)
//   session_changes  the table's sessions, user actors, idle expiry
//   push_routing     which sessions a push reaches, the offline buffer
//   push_pipeline    batches per owner, settlement, reports
//   relay_set        this node's pushers, as the local delivery sink
//   subscriptions    pushers and event subscribers, the event fan-out
//   cluster_link     the node's cluster actor: local changes out, writes on
//                    other owners' sessions forwarded
//   remote_sink      one per other owner node: its part of each push, routed
//                    through the cluster actor

#include <chrono>
#include <memory>

#include "presence/config.hpp"
#include "presence/detail/protocol.hpp"
#include "registry/client_replies.hpp"
#include "registry/cluster_link.hpp"
#include "registry/event_outbox.hpp"
#include "registry/push_pipeline.hpp"
#include "registry/push_routing.hpp"
#include "registry/relay_set.hpp"
#include "registry/remote_sink.hpp"
#include "registry/session_changes.hpp"
#include "registry/subscriptions.hpp"

namespace presence::detail {

/// Everything the parts ask of the actor around them. `now()` is declared by
/// several of them; one override serves all.
class registry_callee : public client_replies::callee,
                        public cluster_link::callee,
                        public push_pipeline::callee,
                        public relay_set::callee,
                        public session_changes::callee,
                        public push_routing::callee,
                        public remote_sink::callee,
                        public subscriptions::callee {
public:
  caf::actor_clock::time_point now() override = 0;
  void flush_later() override = 0;
  /// Calls registry_core::on_trim after `delay`.
  virtual void trim_after(caf::timespan delay) = 0;
};

class registry_core : session_changes::hooks {
public:
  registry_core(registry_callee& owner, const settings& cfg,
                presence_view& view, message_ids ids);

  registry_core(const registry_core&) = delete;
  registry_core& operator=(const registry_core&) = delete;

  /// Hands `op` to the part that does it.
  void handle(client_op&& op, reply_target&& rt);

  /// Handles a client's batch in order, its answers to client index
  /// `client`. Every operation gets the batch's origin, which decides
  /// whether it is validated (receive_op).
  void handle_batch(std::vector<client_op>& ops, origin from, uint32_t client,
                    const limits& lim);

  /// The mailbox ran dry: open batches, events, this node's session changes
  /// and results go out, in that order (a forwarded write's answer follows
  /// its delta).
  void flush();

  /// A watched actor is down (a pusher, an event subscriber or a client).
  void on_down(caf::actor_id id, const caf::error& reason);

  // -- other nodes ------------------------------------------------------------

  /// Applies another owner's changes; that owner gets its sink first, so a
  /// user who comes online there gets what waits in the offline buffer.
  void apply_remote(remote_update& u, const limits& lim);

  /// Remote changes this many (a peer's snapshot, or a lost node's
  /// sessions) leave most of their transients as free memory in malloc's
  /// arenas: a trim follows once the burst is over, i.e. after trim_delay
  /// without a remote change (after max_trim_deferrals delays at the
  /// latest), and two more follow after late_trims[], for what the event
  /// subscribers and pushers free only once they have handled the burst's
  /// events (memory/free_memory.hpp; docs/performance.md, "C9").
  static constexpr size_t big_remote_update = 65536;
  static constexpr auto trim_delay = std::chrono::milliseconds(500);
  static constexpr int max_trim_deferrals = 20;
  static constexpr std::chrono::milliseconds late_trims[]
    = {std::chrono::milliseconds(1000), std::chrono::milliseconds(4000)};

  /// A trim scheduled by apply_remote is due.
  void on_trim();

  /// A node joined (its sink takes pushes) or was lost (its sink stops and
  /// its routed pushes fail at once).
  void node_event(bool up, const std::string& node, const limits& lim);

  /// The cluster actor went away: every remote sink stops, and what it
  /// waited for fails.
  void cluster_detached();

  /// The cluster actor's report of its peers and view digest, for stats().
  void set_peer_stats(std::vector<peer_stats>&& peers, uint64_t digest);

  /// The answer to routed push `ticket` of the sink of node `node` (one of
  /// an unknown node, or a stray ticket, changes nothing).
  void route_answer(const std::string& node, uint64_t ticket, op_result&& r);

  /// Caps of a routed push (set before the first remote sink exists).
  remote_sink::caps route_caps;

  /// The owner id of peer node `node` (a new one if needed), or
  /// node_names::unknown for a name no peer may have.
  owner_id known_node(const std::string& node, const limits& lim);

  /// The sink of remote owner `owner`, made on first use.
  remote_sink& remote(owner_id owner);

  /// Calls `f(target)` for every call still waiting for its answer.
  template <class F>
  void for_each_target(F f) {
    changes.for_each_forwarded(f);
    replies.forwards.for_each_target(f);
    pipeline.for_each_target(f);
    changes.for_each_parked(f);
  }

  event_outbox events;
  client_replies replies;
  push_pipeline pipeline;
  relay_set relays;
  session_changes changes;
  push_routing routing;
  subscriptions subs;
  cluster_link link;

private:
  bool events_on() const override;
  void dispatch(client_op&& op, reply_target&& rt) override;
  void came_online(user_entry& e) override;
  void kick_replaced(const std::string& login_id,
                     std::vector<session_target>&& targets) override;
  void flush_events() override;

  /// Stores the nodes up in the view (presence_stats::nodes).
  void count_nodes();

  registry_callee& owner_;
  presence_view& view_;
  /// Indexed by owner id (null for the local owner and unknown ids).
  std::vector<std::unique_ptr<remote_sink>> remotes_;

  /// mark_offline_users: every listed user's mark_offline_all, one answer.
  void logout_users(client_op&& op, reply_target&& rt);

  /// Which operations of a batch validation refused (reused).
  std::vector<bool> refused_;

  /// Remote changes applied since the last trim, and when the scheduled
  /// trim was (re)scheduled; one trim is scheduled at a time.
  size_t remote_changes_ = 0;
  size_t changes_at_schedule_ = 0;
  int trim_deferrals_ = 0;
  bool trim_scheduled_ = false;
  /// Late trims done after the burst's first trim.
  size_t late_trims_done_ = 0;
};

} // namespace presence::detail

#include "registry/registry_core.hpp"

#include <iterator>
#include <mutex>
#include <string>

#include <caf/exit_reason.hpp>

#include "memory/free_memory.hpp"
#include "presence/detail/validate_op.hpp"
#include "presence/error.hpp"
#include "registry/batch_prefetch.hpp"

namespace presence::detail {

namespace {

/// Presence events are flushed at least this often under load.
constexpr auto event_flush_interval = std::chrono::milliseconds(10);

std::unique_ptr<offline_buffer> make_buffer(const settings& cfg) {
  if (cfg.buffer_per_user == 0)
    return nullptr;
  return std::make_unique<offline_buffer>(cfg.buffer_per_user, cfg.buffer_ttl,
                                          cfg.buffer_max_bytes);
}

} // namespace

registry_core::registry_core(registry_callee& owner, const settings& cfg,
                             presence_view& view, message_ids ids)
  : events(event_flush_interval),
    replies(owner),
    pipeline(owner, replies, view.counters,
             push_pipeline::config{cfg.batch_size, cfg.pusher_timeout},
             std::move(ids)),
    relays(owner, pipeline),
    changes(owner, *this, view, replies, events, cfg),
    routing(owner, view, changes, pipeline, make_buffer(cfg)),
    subs(owner, replies, relays, routing, events),
    link(owner, view, replies),
    owner_(owner),
    view_(view) {
  events.start(owner.now());
  changes.set_link(&link);
  pipeline.set_sink(local_owner, &relays);
}

void registry_core::handle(client_op&& op, reply_target&& rt) {
  switch (op.kind) {
    case op_kind::mark_online:
      return changes.mark_online(std::move(op), std::move(rt));
    case op_kind::mark_offline:
    case op_kind::mark_offline_all:
    case op_kind::update_activity:
      return changes.change_session(std::move(op), std::move(rt));
    case op_kind::mark_offline_users:
      return logout_users(std::move(op), std::move(rt));
    case op_kind::update_metadata:
      return changes.update_metadata(std::move(op), std::move(rt));
    case op_kind::push_user:
      return routing.push_user(std::move(op), std::move(rt));
    case op_kind::push_users:
      return routing.push_users(std::move(op), std::move(rt));
    case op_kind::broadcast:
      return routing.broadcast(std::move(op), std::move(rt));
    case op_kind::kick:
    case op_kind::kick_session:
    case op_kind::kick_device:
      return routing.kick(std::move(op), std::move(rt));
    case op_kind::subscribe:
    case op_kind::unsubscribe:
      return subs.change_pusher(std::move(op), std::move(rt));
    case op_kind::subscribe_events:
    case op_kind::unsubscribe_events:
      return subs.change_subscriber(std::move(op), std::move(rt));
  }
  // A number that is no operation kind. validate_op refuses these before
  // they get here; answer anyway.
  replies.fail(rt, make_error(error::malformed_message,
                              "not a client operation: "
                                + std::to_string(static_cast<int>(op.kind))));
}

void registry_core::handle_batch(std::vector<client_op>& ops, origin from,
                                 uint32_t client, const limits& lim) {
  // The own client checked its calls on its callers' threads already. The
  // others are checked, and hashed, before any operation runs: the
  // prefetches below use the hashes.
  refused_.clear();
  if (needs_validation(from)) {
    refused_.assign(ops.size(), false);
    for (size_t i = 0; i < ops.size(); ++i)
      if (auto err = receive_op(ops[i], from, lim)) {
        refused_[i] = true;
        auto rt = reply_target{client, ops[i].ticket, {}};
        replies.fail(rt, std::move(err));
      }
  }
  batch_prefetch prefetch{changes.table()};
  for (size_t i = 0; i < ops.size(); ++i) {
    prefetch.ahead(ops, i);
    auto& op = ops[i];
    if (!refused_.empty() && refused_[i]) // answered above
      continue;
    // The own client's operations get their origin here, in the pass that
    // handles them.
    op.source = from;
    auto ticket = op.ticket;
    handle(std::move(op), reply_target{client, ticket, {}});
  }
}

/// The whole list in this turn, so it is ordered with every other call
/// like one call. The facade cuts a long list into chunks of this kind
/// (docs/design.md, "Mass logout in one call").
void registry_core::logout_users(client_op&& op, reply_target&& rt) {
  if (op.login_ids.empty()) {
    replies.complete(rt, change_result{change_status::unknown_user, 0, 0});
    return;
  }
  // One part per listed user; a user listed twice finds nothing the second
  // time, so each session is counted once.
  auto id = replies.forwards.open(std::move(rt),
                                  forwarded_writes::answer_kind::change,
                                  static_cast<uint32_t>(op.login_ids.size()));
  for (auto& login_id : op.login_ids) {
    client_op x;
    x.kind = op_kind::mark_offline_all;
    x.login_hash = login_hash_of(login_id);
    x.user.login_id = std::move(login_id);
    x.source = op.source;
    handle(std::move(x), forwarded_writes::part_target(id));
  }
}

bool registry_core::events_on() const {
  return subs.events_on();
}

void registry_core::dispatch(client_op&& op, reply_target&& rt) {
  handle(std::move(op), std::move(rt));
}

void registry_core::came_online(user_entry& e) {
  routing.came_online(e);
}

void registry_core::kick_replaced(const std::string& login_id,
                                  std::vector<session_target>&& targets) {
  routing.kick_replaced(login_id, std::move(targets));
}

void registry_core::flush_events() {
  subs.flush_events();
}

void registry_core::flush() {
  pipeline.flush();
  subs.flush_events();
  link.flush();
  replies.flush();
}

remote_sink& registry_core::remote(owner_id owner) {
  if (owner >= remotes_.size())
    remotes_.resize(owner + 1);
  auto& ptr = remotes_[owner];
  if (!ptr) {
    ptr = std::make_unique<remote_sink>(owner_, pipeline, owner,
                                        view_.nodes.name_of(owner),
                                        route_caps);
    // A node is up once its sessions arrive (its node_up event came
    // first); it goes down with its node_down event.
    ptr->set_up(link.attached());
    pipeline.set_sink(owner, ptr.get());
  }
  return *ptr;
}

void registry_core::apply_remote(remote_update& u, const limits& lim) {
  if (auto owner = known_node(u.node, lim); owner != node_names::unknown) {
    auto& sink = remote(owner);
    // The sessions of a node that is lost leave with reason node_down: no
    // push goes there any more.
    if (u.reason != "node_down" && u.reason != "node_left")
      sink.set_up(true);
    count_nodes();
  }
  changes.apply_remote(u, lim);
  remote_changes_ += u.changes.size();
  if (remote_changes_ >= big_remote_update && !trim_scheduled_) {
    trim_scheduled_ = true;
    trim_deferrals_ = 0;
    late_trims_done_ = 0;
    changes_at_schedule_ = remote_changes_;
    owner_.trim_after(trim_delay);
  }
}

void registry_core::on_trim() {
  if (!trim_scheduled_)
    return;
  // Still arriving: the burst's transients are not all freed yet.
  if (late_trims_done_ == 0 && remote_changes_ != changes_at_schedule_
      && trim_deferrals_ < max_trim_deferrals) {
    ++trim_deferrals_;
    changes_at_schedule_ = remote_changes_;
    owner_.trim_after(trim_delay);
    return;
  }
  release_free_memory();
  if (late_trims_done_ < std::size(late_trims)) {
    owner_.trim_after(late_trims[late_trims_done_++]);
    return;
  }
  trim_scheduled_ = false;
  remote_changes_ = 0;
}

owner_id registry_core::known_node(const std::string& node,
                                   const limits& lim) {
  if (!link.attached() || node.empty() || node == view_.nodes.local()
      || validate_login_id(node, lim))
    return node_names::unknown;
  auto owner = view_.nodes.find(node);
  if (owner == node_names::unknown) {
    std::unique_lock<std::shared_mutex> guard{view_.mtx};
    owner = view_.nodes.id_of(node);
  }
  return owner;
}

void registry_core::node_event(bool up, const std::string& node,
                               const limits& lim) {
  if (auto owner = known_node(node, lim); owner != node_names::unknown) {
    auto& sink = remote(owner);
    sink.set_up(up);
    if (!up)
      sink.fail_all(caf::make_error(caf::exit_reason::remote_link_unreachable));
    count_nodes();
  }
  changes.node_event(up, node);
}

void registry_core::count_nodes() {
  uint64_t n = 1;
  for (auto& sink : remotes_)
    n += sink && sink->ready() ? 1 : 0;
  view_.counters.nodes.store(n, std::memory_order_relaxed);
}

void registry_core::cluster_detached() {
  for (auto& sink : remotes_)
    if (sink) {
      sink->set_up(false);
      sink->fail_all(caf::make_error(caf::exit_reason::remote_link_unreachable));
    }
  count_nodes();
  set_peer_stats({}, 0);
}

void registry_core::set_peer_stats(std::vector<peer_stats>&& peers,
                                   uint64_t digest) {
  std::unique_lock<std::shared_mutex> guard{view_.mtx};
  view_.peers = std::move(peers);
  view_.view_digest = digest;
}

void registry_core::route_answer(const std::string& node, uint64_t ticket,
                                 op_result&& r) {
  auto owner = view_.nodes.find(node);
  if (owner != node_names::unknown && owner < remotes_.size()
      && remotes_[owner])
    remotes_[owner]->on_answer(ticket, std::move(r));
}

void registry_core::on_down(caf::actor_id id, const caf::error& reason) {
  subs.on_down(id, reason);
  replies.drop(id);
}

} // namespace presence::detail

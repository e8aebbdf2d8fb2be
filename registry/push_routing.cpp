#include "registry/push_routing.hpp"

#include <unordered_set>

namespace presence::detail {

namespace {

/// Calls `f` once per distinct login id, in the order given: a push names
/// each user once in its report whatever the caller repeated.
template <class F>
void for_each_distinct(const std::vector<std::string>& login_ids, F f) {
  std::unordered_set<std::string> seen;
  seen.reserve(login_ids.size());
  for (auto& login_id : login_ids)
    if (seen.insert(login_id).second)
      f(login_id);
}

} // namespace

push_routing::push_routing(callee& owner, presence_view& view,
                           session_changes& changes, push_pipeline& pipeline,
                           std::unique_ptr<offline_buffer> buffer)
  : owner_(owner),
    view_(view),
    changes_(changes),
    pipeline_(pipeline),
    buffer_(std::move(buffer)) {
}

void push_routing::push_user(client_op&& op, reply_target&& rt) {
  if (op.source == origin::cluster_peer)
    return push_routed(std::move(op), std::move(rt));
  auto e = changes_.find_user(op);
  if (changes_.park_if_busy(e, op, rt))
    return;
  auto online = e != nullptr && !e->sessions.empty();
  if (online && rt.client < reply_target::merge_client
      && pipeline_.local_ready()
      && push_pipeline::all_local(e->sessions.data(), e->sessions.size())) {
    pipeline_.push_direct(op.message, rt, e->login_id, e->sessions.data(),
                          e->sessions.size());
    return;
  }
  auto id = pipeline_.start_keeping(op.message, std::move(rt));
  if (online) {
    pipeline_.add_delivery(id, e->login_id, e->sessions.data(),
                           e->sessions.size(), true, &op.message);
  } else {
    auto& ps = pipeline_.at(id);
    if (op.message.keep_if_offline)
      keep_for_offline(ps, op.user.login_id, op.message);
    ps.report.not_online.push_back(std::move(op.user.login_id));
  }
  pipeline_.finish(id);
}

void push_routing::push_users(client_op&& op, reply_target&& rt) {
  if (op.source == origin::cluster_peer)
    return push_routed(std::move(op), std::move(rt));
  auto id = pipeline_.start(std::move(op.message), std::move(rt));
  for_each_distinct(op.login_ids, [&](const std::string& login_id) {
    auto e = view_.table.find(login_id);
    if (e != nullptr && !e->sessions.empty()) {
      pipeline_.add_delivery(id, e->login_id, e->sessions.data(),
                             e->sessions.size());
    } else {
      auto& ps = pipeline_.at(id);
      if (ps.message.keep_if_offline)
        keep_for_offline(ps, login_id, ps.message);
      ps.report.not_online.push_back(login_id);
    }
  });
  pipeline_.finish(id);
}

void push_routing::broadcast(client_op&& op, reply_target&& rt) {
  if (op.source == origin::cluster_peer)
    return push_routed(std::move(op), std::move(rt));
  auto id = pipeline_.start(std::move(op.message), std::move(rt));
  auto remotes = pipeline_.ready_remotes();
  if (remotes.empty() && !pipeline_.local_ready()) {
    pipeline_.at(id).report.users_targeted = view_.table.user_count();
    pipeline_.finish(id);
    return;
  }
  // Each user counts once: with the local part if it has a session here,
  // else with the part of its first remote owner.
  std::vector<uint32_t> users(view_.nodes.remote_count() + 1, 0);
  std::vector<uint32_t> sessions(users.size(), 0);
  uint64_t targeted = 0;
  for (auto& e : view_.table.entries()) {
    if (e.sessions.empty())
      continue;
    ++targeted;
    owner_id first_remote = local_owner;
    for (auto& s : e.sessions)
      if (s.owner != local_owner && s.owner < sessions.size()) {
        ++sessions[s.owner];
        if (first_remote == local_owner)
          first_remote = s.owner;
      }
    if (!deliver_local(id, e) && first_remote != local_owner)
      ++users[first_remote];
  }
  for (auto owner : remotes)
    pipeline_.add_owner_broadcast(id, owner,
                                  owner < users.size() ? users[owner] : 0,
                                  owner < users.size() ? sessions[owner] : 0);
  pipeline_.at(id).report.users_targeted = targeted;
  pipeline_.finish(id);
}

bool push_routing::deliver_local(uint64_t push_id, const user_entry& e) {
  if (e.sessions.empty())
    return false;
  if (push_pipeline::all_local(e.sessions.data(), e.sessions.size())) {
    // The common case, without copying a target per session.
    pipeline_.add_delivery(push_id, e.login_id, e.sessions.data(),
                           e.sessions.size());
    return true;
  }
  local_.clear();
  for (auto& s : e.sessions)
    if (s.owner == local_owner)
      local_.push_back(session_target{s.token, s.device});
  if (local_.empty())
    return false;
  pipeline_.add_local_delivery(push_id, e.login_id, local_.data(),
                               local_.size());
  return true;
}

void push_routing::push_routed(client_op&& op, reply_target&& rt) {
  // The origin stamped the message: start() keeps its id and timestamp.
  auto id = pipeline_.start(std::move(op.message), std::move(rt));
  if (op.kind == op_kind::broadcast) {
    if (pipeline_.local_ready())
      for (auto& e : view_.table.entries())
        deliver_local(id, e);
  } else {
    if (op.kind == op_kind::push_user)
      op.login_ids.push_back(std::move(op.user.login_id));
    for_each_distinct(op.login_ids, [&](const std::string& login_id) {
      auto e = view_.table.find(login_id);
      if (e == nullptr || !deliver_local(id, *e))
        pipeline_.at(id).report.not_online.push_back(login_id);
    });
  }
  pipeline_.finish(id);
}

void push_routing::kick(client_op&& op, reply_target&& rt) {
  auto e = changes_.find_user(op);
  if (changes_.park_if_busy(e, op, rt))
    return;
  // In a cluster, another owner's session is kicked by its owner: a
  // kick_session goes there, a kick of a login or device type also goes to
  // every other owner of the user's sessions.
  if (e != nullptr && changes_.clustered()) {
    constexpr auto report = forwarded_writes::answer_kind::report;
    if (op.kind == op_kind::kick_session) {
      if (changes_.route_token_write(*e, op, rt, report))
        return;
    } else {
      rt = changes_.split_login_write(*e, op, std::move(rt), report);
    }
  }
  auto reason = op.message.content.empty() ? std::string{"kicked"}
                                           : op.message.content;
  auto id = pipeline_.start(std::move(op.message), std::move(rt));
  if (e == nullptr || e->sessions.empty()) {
    pipeline_.at(id).report.not_online.push_back(std::move(op.user.login_id));
    pipeline_.finish(id);
    return;
  }
  std::vector<session_target> targets;
  auto n = changes_.remove_sessions(*e, removal_selects(op.kind, op.user),
                                    event_kind::kicked, reason, &targets);
  bump(view_.counters.kicks, n);
  if (n > 0)
    pipeline_.add_local_delivery(id, e->login_id, targets.data(),
                                 targets.size(), true);
  changes_.after_removal(*e, n, op);
  pipeline_.finish(id);
}

void push_routing::kick_replaced(const std::string& login_id,
                                 std::vector<session_target>&& targets) {
  auto id = pipeline_.start(make_kick_out_message("replaced"), reply_target{});
  pipeline_.add_local_delivery(id, login_id, targets.data(), targets.size(),
                               true);
  pipeline_.finish(id);
}

// -- offline buffer -----------------------------------------------------------

void push_routing::note_buffer(uint64_t drops_before) {
  bump(view_.counters.drops, buffer_->drops() - drops_before);
  view_.counters.buffer_size.store(buffer_->size(), std::memory_order_relaxed);
}

void push_routing::keep_for_offline(push_state& ps, const std::string& login_id,
                                    const push_message& msg) {
  if (!buffer_) {
    ++ps.report.dropped;
    bump(view_.counters.drops);
    return;
  }
  auto before = buffer_->drops();
  auto res = buffer_->put(login_id, msg, owner_.now());
  if (res.kept) {
    ++ps.report.buffered;
    bump(view_.counters.buffered);
  }
  ps.report.dropped += res.dropped;
  note_buffer(before);
  schedule_sweep();
}

void push_routing::came_online(user_entry& e) {
  // The user may have come online on another node: its owner's sink takes
  // the messages then (the buffer stays on the node they were pushed on).
  if (!buffer_ || buffer_->empty() || !pipeline_.reaches(e.sessions)
      || !buffer_->has(e.login_id))
    return;
  auto before = buffer_->drops();
  auto msgs = buffer_->take(e.login_id, owner_.now());
  note_buffer(before);
  for (auto& msg : msgs) {
    auto id = pipeline_.start(std::move(msg), reply_target{});
    pipeline_.add_delivery(id, e.login_id, e.sessions.data(),
                           e.sessions.size(), true);
    pipeline_.finish(id);
  }
}

void push_routing::pushers_ready() {
  if (!buffer_ || buffer_->empty())
    return;
  for (auto& login_id : buffer_->users())
    if (auto e = view_.table.find(login_id); e && !e->sessions.empty())
      came_online(*e);
}

void push_routing::schedule_sweep() {
  if (sweep_scheduled_ || !buffer_ || buffer_->empty())
    return;
  sweep_scheduled_ = true;
  owner_.sweep_after(std::max<caf::timespan>(
    buffer_->next_expiry() - owner_.now(), std::chrono::milliseconds(10)));
}

void push_routing::on_sweep() {
  sweep_scheduled_ = false;
  if (!buffer_)
    return;
  auto before = buffer_->drops();
  buffer_->sweep(owner_.now());
  note_buffer(before);
  schedule_sweep();
}

} // namespace presence::detail

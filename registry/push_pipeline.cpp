#include "registry/push_pipeline.hpp"

#include <algorithm>

#include <caf/make_message.hpp>
#include <caf/sec.hpp>

#include "presence/atoms.hpp"

namespace presence::detail {

void push_state::reset() {
  target = reply_target{};
  report.message_id.clear();
  report.users_reached = report.sessions_reached = report.users_targeted = 0;
  report.not_online.clear();
  report.failed_pushers.clear();
  report.buffered = report.dropped = 0;
  message.message_id.clear();
  message.content.clear();
  message.metadata.clear();
  message.type = message_type{};
  message.timestamp = caf::timestamp{};
  message.keep_if_offline = false;
  split_reached.clear();
  open_batches = 0;
  routed = false;
}

push_pipeline::push_pipeline(callee& owner, client_replies& replies,
                             view_counters& counters, config cfg,
                             message_ids ids)
  : owner_(owner),
    replies_(replies),
    counters_(counters),
    cfg_(cfg),
    ids_(std::move(ids)),
    sinks_(1, nullptr),
    open_(1) {
}

void push_pipeline::set_sink(owner_id owner, delivery_sink* sink) {
  if (owner >= sinks_.size())
    sinks_.resize(owner + 1, nullptr);
  sinks_[owner] = sink;
  open_of(owner);
}

// -- routing ------------------------------------------------------------------

uint64_t push_pipeline::start(push_message&& msg, reply_target&& rt) {
  auto id = start_keeping(msg, std::move(rt));
  pushes_.at(id).message = std::move(msg);
  return id;
}

uint64_t push_pipeline::start_keeping(push_message& msg, reply_target&& rt) {
  ids_.stamp(msg);
  auto id = pushes_.emplace();
  auto& ps = pushes_.at(id);
  bump(counters_.pushes);
  ps.target = std::move(rt);
  ps.report.message_id = msg.message_id;
  return id;
}

void push_pipeline::add_delivery(uint64_t push_id, const std::string& login_id,
                                 const session_record* sessions, size_t count,
                                 bool only, push_message* held) {
  auto& ps = pushes_.at(push_id);
  ++ps.report.users_targeted;
  if (all_local(sessions, count)) {
    add_to(local_owner, push_id, ps, login_id, sessions, count, no_split,
           only, held);
    return;
  }
  // Sessions of several owners: one part per owner, in order of first
  // appearance, each with its own copy of the message; the user counts once
  // as reached if any of its parts is accepted.
  if (held != nullptr)
    ps.message = std::move(*held);
  std::vector<owner_id> owners;
  for (size_t i = 0; i < count; ++i)
    if (std::find(owners.begin(), owners.end(), sessions[i].owner)
        == owners.end())
      owners.push_back(sessions[i].owner);
  auto split = static_cast<uint32_t>(ps.split_reached.size());
  ps.split_reached.push_back(false);
  std::vector<session_target> part;
  for (size_t k = 0; k < owners.size(); ++k) {
    part.clear();
    for (size_t i = 0; i < count; ++i)
      if (sessions[i].owner == owners[k])
        part.push_back(session_target{sessions[i].token, sessions[i].device});
    add_to(owners[k], push_id, ps, login_id, part.data(), part.size(), split,
           false, nullptr);
  }
}

void push_pipeline::add_local_delivery(uint64_t push_id,
                                       const std::string& login_id,
                                       const session_target* sessions,
                                       size_t count, bool only) {
  auto& ps = pushes_.at(push_id);
  ++ps.report.users_targeted;
  add_to(local_owner, push_id, ps, login_id, sessions, count, no_split, only,
         nullptr);
}

template <class Session>
void push_pipeline::add_to(owner_id owner, uint64_t push_id, push_state& ps,
                           const std::string& login_id,
                           const Session* sessions, size_t count,
                           uint32_t split, bool only, push_message* held) {
  auto sink = sink_of(owner);
  if (sink == nullptr || !sink->ready())
    return;
  auto& ob = open_of(owner);
  if (ob.parts.empty() || ob.parts.back().push != push_id) {
    if (held != nullptr)
      ob.batch.messages.push_back(std::move(*held));
    else if (only)
      ob.batch.messages.push_back(std::move(ps.message));
    else
      ob.batch.messages.push_back(ps.message);
    ob.parts.emplace_back().push = push_id;
    ++ps.open_batches;
  }
  auto& part = ob.parts.back();
  if (split == no_split) {
    ++part.users;
  } else {
    if (!part.split_users)
      part.split_users
        = std::make_unique<std::vector<std::pair<uint32_t, uint32_t>>>();
    part.split_users->emplace_back(split, part.deliveries);
  }
  ++part.deliveries;
  part.sessions += static_cast<uint32_t>(count);
  append(owner, login_id, sessions, count);
}

template <class Session>
void push_pipeline::append(owner_id owner, const std::string& login_id,
                           const Session* sessions, size_t count) {
  auto& open = open_[owner].batch;
  auto first = static_cast<uint32_t>(open.sessions.size());
  for (size_t i = 0; i < count; ++i)
    open.sessions.push_back(
      session_target{sessions[i].token, sessions[i].device});
  open.deliveries.push_back(
    delivery{login_id, static_cast<uint32_t>(open.messages.size() - 1), first,
             static_cast<uint32_t>(count)});
  if (open.deliveries.size() >= cfg_.batch_size)
    send(owner);
}

void push_pipeline::finish(uint64_t push_id) {
  auto& ps = pushes_.at(push_id);
  ps.routed = true;
  if (ps.open_batches == 0)
    finalize(push_id, ps);
  else
    want_flush();
}

void push_pipeline::add_owner_broadcast(uint64_t push_id, owner_id owner,
                                        uint32_t users, uint32_t sessions) {
  auto sink = sink_of(owner);
  if (sink == nullptr || !sink->ready())
    return;
  auto& ps = pushes_.at(push_id);
  // Whatever waits in the owner's open batch was routed first: it goes
  // first, so nothing this origin pushed to that node is overtaken.
  send(owner);
  batch_state bs;
  auto& part = bs.parts.emplace_back();
  part.push = push_id;
  part.users = users;
  part.sessions = sessions;
  ++ps.open_batches;
  bs.deadline = owner_.now() + cfg_.timeout;
  auto id = batches_.insert(std::move(bs));
  schedule_expiry(cfg_.timeout);
  sink->send_broadcast(ps.message, id, batches_.at(id).waiting);
  if (auto sent = batches_.find(id); sent != nullptr && sent->waiting.empty()) {
    auto parts = std::move(sent->parts);
    batches_.erase(id);
    settle(parts, false, {});
  }
}

void push_pipeline::push_direct(push_message& msg, const reply_target& rt,
                                const std::string& login_id,
                                const session_record* sessions, size_t count) {
  ids_.stamp(msg);
  bump(counters_.pushes);
  auto& ob = open_[local_owner];
  auto& part = ob.parts.emplace_back();
  part.push = contribution::direct;
  part.users = 1;
  part.sessions = static_cast<uint32_t>(count);
  part.client = rt.client;
  part.ticket = rt.ticket;
  part.message_id = msg.message_id;
  ob.batch.messages.push_back(std::move(msg));
  append(local_owner, login_id, sessions, count);
  want_flush();
}

void push_pipeline::finalize(uint64_t push_id, push_state& ps) {
  replies_.complete(ps.target, std::move(ps.report));
  pushes_.erase(push_id);
}

// -- batches ------------------------------------------------------------------

void push_pipeline::flush() {
  flush_asked_ = false;
  for (owner_id owner = 0; owner < open_.size(); ++owner)
    send(owner);
}

void push_pipeline::send(owner_id owner) {
  auto& ob = open_[owner];
  if (ob.batch.deliveries.empty())
    return;
  batch_state bs;
  auto parts_hint = ob.parts.size();
  bs.parts = std::move(ob.parts);
  ob.parts = std::vector<contribution>();
  ob.parts.reserve(parts_hint);
  auto sink = sink_of(owner);
  if (sink == nullptr || !sink->ready()) {
    // The sink went away after the deliveries were routed (the last pusher
    // went down): nothing can reach these sessions.
    ob.batch = delivery_batch{};
    settle(bs.parts, false, {});
    return;
  }
  bs.deadline = owner_.now() + cfg_.timeout;
  auto id = batches_.insert(std::move(bs));
  schedule_expiry(cfg_.timeout);
  ob.batch.id = id;
  // The next batch is likely the size of this one: reserving that much
  // avoids regrowing (and copying) its vectors element by element.
  auto n_messages = ob.batch.messages.size();
  auto n_deliveries = ob.batch.deliveries.size();
  auto n_sessions = ob.batch.sessions.size();
  auto msg = caf::make_message(deliver_atom::value, std::move(ob.batch));
  ob.batch = delivery_batch{};
  ob.batch.messages.reserve(n_messages);
  ob.batch.deliveries.reserve(n_deliveries);
  ob.batch.sessions.reserve(n_sessions);
  sink->send(msg, batches_.at(id).waiting);
  // Looked up again: a sink may answer (and settle the batch) within send.
  if (auto sent = batches_.find(id); sent != nullptr && sent->waiting.empty()) {
    // Nobody took it after all: settle now rather than never.
    auto parts = std::move(sent->parts);
    batches_.erase(id);
    settle(parts, false, {});
  }
}

bool push_pipeline::on_answer(uint64_t batch_id, caf::actor_id waiter,
                              caf::actor_id pusher, const caf::error& err) {
  auto bsp = batches_.find(batch_id);
  if (bsp == nullptr)
    return false;
  auto& bs = *bsp;
  // Each waiter answers once: a late answer after the timeout or the
  // waiter's death was counted is ignored.
  auto w = std::find(bs.waiting.begin(), bs.waiting.end(), waiter);
  if (w == bs.waiting.end())
    return false;
  bs.waiting.erase(w);
  if (!err)
    bs.any_ok = true;
  else
    bs.failures.push_back(pusher_failure{pusher, err, {}});
  if (!bs.waiting.empty())
    return true;
  auto parts = std::move(bs.parts);
  auto failures = std::move(bs.failures);
  auto ok = bs.any_ok;
  batches_.erase(batch_id);
  settle(parts, ok, failures);
  return true;
}

std::vector<uint64_t> push_pipeline::waiting_on(caf::actor_id waiter) {
  std::vector<uint64_t> result;
  batches_.for_each_key([&](uint64_t key, batch_state& bs) {
    if (std::find(bs.waiting.begin(), bs.waiting.end(), waiter)
        != bs.waiting.end())
      result.push_back(key);
  });
  return result;
}

void push_pipeline::settle(std::vector<contribution>& parts, bool ok,
                           const std::vector<pusher_failure>& failures) {
  uint64_t delivered = 0;
  for (auto& part : parts) {
    if (ok)
      delivered += part.sessions;
    credit(part, ok, part.users, part.sessions, failures, nullptr);
  }
  bump(counters_.deliveries, delivered);
}

bool push_pipeline::on_remote_answer(uint64_t batch_id, caf::actor_id waiter,
                                     std::vector<remote_outcome>&& outcomes) {
  auto bsp = batches_.find(batch_id);
  if (bsp == nullptr)
    return false;
  auto w = std::find(bsp->waiting.begin(), bsp->waiting.end(), waiter);
  if (w == bsp->waiting.end())
    return false;
  // A remote owner is the only one a batch of its waits for.
  auto parts = std::move(bsp->parts);
  batches_.erase(batch_id);
  static const remote_outcome missing{
    caf::make_error(caf::sec::invalid_argument, "no answer for this part"),
    {}, 0, {}, false};
  for (size_t i = 0; i < parts.size(); ++i) {
    auto& out = i < outcomes.size() ? outcomes[i] : missing;
    std::vector<pusher_failure> failures = out.failures;
    if (out.err && failures.empty())
      failures.push_back(pusher_failure{0, out.err, {}});
    // A push's part reports per delivery (some of its routed pushes may
    // have failed, others not); a broadcast's part is all or nothing.
    auto reached = out.reached.empty() ? nullptr : &out.reached;
    auto ok = !out.err && out.any;
    credit(parts[i], ok, ok ? parts[i].users : 0,
           ok || reached != nullptr ? out.sessions : 0, failures, reached);
  }
  return true;
}

void push_pipeline::credit(contribution& part, bool ok, uint64_t users,
                           uint64_t sessions,
                           const std::vector<pusher_failure>& failures,
                           const std::vector<bool>* reached) {
  if (part.push == contribution::direct) {
    auto& rep = replies_.result(part.client, part.ticket).report;
    rep.message_id = std::move(part.message_id);
    rep.users_targeted = part.users;
    if (ok) {
      rep.users_reached = users;
      rep.sessions_reached = sessions;
    }
    rep.failed_pushers = failures;
    replies_.written(part.client);
    return;
  }
  auto& ps = pushes_.at(part.push);
  auto mark = [&](uint32_t split) {
    if (!ps.split_reached[split]) {
      ps.split_reached[split] = true;
      ++ps.report.users_reached;
    }
  };
  if (reached != nullptr) {
    // Per delivery, as the owner saw it: a user it found offline there (or
    // whose pushers all failed) is not reached through this part.
    auto at = [&](uint32_t pos) {
      return pos < reached->size() && (*reached)[pos];
    };
    std::vector<bool> split_pos(part.deliveries, false);
    if (part.split_users)
      for (auto& [split, pos] : *part.split_users) {
        if (pos < split_pos.size())
          split_pos[pos] = true;
        if (at(pos))
          mark(split);
      }
    for (uint32_t pos = 0; pos < part.deliveries; ++pos)
      if (!split_pos[pos] && at(pos))
        ++ps.report.users_reached;
    ps.report.sessions_reached += sessions;
  } else if (ok) {
    ps.report.users_reached += users;
    ps.report.sessions_reached += sessions;
    if (part.split_users)
      for (auto& entry : *part.split_users)
        mark(entry.first);
  }
  // A push spread over several batches names each failed pusher once.
  auto& failed = ps.report.failed_pushers;
  for (auto& f : failures)
    if (std::none_of(failed.begin(), failed.end(), [&](auto& x) {
          return x.pusher == f.pusher && x.node == f.node;
        }))
      failed.push_back(f);
  if (--ps.open_batches == 0 && ps.routed)
    finalize(part.push, ps);
}

void push_pipeline::schedule_expiry(caf::timespan delay) {
  if (expire_check_)
    return;
  expire_check_ = true;
  owner_.expire_after(delay);
}

} // namespace presence::detail

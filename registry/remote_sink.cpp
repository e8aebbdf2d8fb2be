#include "registry/remote_sink.hpp"

#include <algorithm>
#include <unordered_set>

#include "presence/atoms.hpp"
#include "presence/delivery_batch.hpp"

namespace presence::detail {

namespace {

/// A generous estimate of a message's serialized size, without the login ids.
size_t message_bytes(const push_message& msg) {
  size_t n = 64 + msg.message_id.size() + msg.content.size()
             + msg.type.custom_name().size();
  for (auto& [k, v] : msg.metadata)
    n += k.size() + v.size() + 16;
  return n;
}

/// Per login id: its bytes plus the length prefix.
size_t id_bytes(const std::string& x) {
  return x.size() + 8;
}

} // namespace

remote_sink::remote_sink(callee& owner, push_pipeline& pipeline, owner_id id,
                         std::string node, caps limits)
  : owner_(owner),
    pipeline_(pipeline),
    id_(id),
    node_(std::move(node)),
    caps_(limits) {
  caps_.max_ids = std::max<size_t>(caps_.max_ids, 1);
}

void remote_sink::send(const caf::message& msg,
                       std::vector<caf::actor_id>& waiting) {
  if (!msg.match_element<delivery_batch>(1))
    return;
  auto& batch = msg.get_as<delivery_batch>(1);
  // Every routed push is cut first: the batch must know how many answers it
  // waits for before the first one can arrive.
  struct cut {
    uint32_t part;
    uint32_t first;
    client_op op;
  };
  std::vector<cut> cuts;
  open_batch ob;
  ob.parts.resize(batch.messages.size());
  auto base = 0u;
  size_t bytes = 0;
  uint32_t pos = 0;
  uint32_t current = UINT32_MAX;
  for (auto& d : batch.deliveries) {
    if (d.message >= batch.messages.size())
      continue;
    if (d.message != current) {
      // The pipeline adds a push's deliveries next to each other: a new
      // message index starts a new part.
      current = d.message;
      pos = 0;
      cuts.push_back(cut{current, 0, client_op{}});
      cuts.back().op.kind = op_kind::push_users;
      cuts.back().op.message = batch.messages[current];
      base = static_cast<uint32_t>(message_bytes(batch.messages[current]));
      bytes = base;
    } else if (cuts.back().op.login_ids.size() >= caps_.max_ids
               || bytes + id_bytes(d.login_id) > caps_.max_bytes) {
      cuts.push_back(cut{current, pos, client_op{}});
      cuts.back().op.kind = op_kind::push_users;
      cuts.back().op.message = batch.messages[current];
      bytes = base;
    }
    cuts.back().op.login_ids.push_back(d.login_id);
    bytes += id_bytes(d.login_id);
    ++pos;
    ob.parts[current].reached.resize(pos, false);
  }
  if (cuts.empty())
    return;
  ob.waiting = static_cast<uint32_t>(cuts.size());
  batches_.emplace(batch.id, std::move(ob));
  waiting.push_back(waiter());
  for (auto& c : cuts)
    route(batch.id, c.part, c.first, std::move(c.op));
}

void remote_sink::send_broadcast(const push_message& msg, uint64_t batch_id,
                                 std::vector<caf::actor_id>& waiting) {
  open_batch ob;
  ob.parts.resize(1);
  ob.waiting = 1;
  batches_.emplace(batch_id, std::move(ob));
  waiting.push_back(waiter());
  client_op op;
  op.kind = op_kind::broadcast;
  op.message = msg;
  route(batch_id, 0, 0, std::move(op));
}

void remote_sink::route(uint64_t batch, uint32_t part, uint32_t first,
                        client_op&& op) {
  auto ticket = next_ticket_++;
  auto& req = requests_[ticket];
  req.batch = batch;
  req.part = part;
  req.first = first;
  req.login_ids = op.login_ids;
  owner_.send_route(id_, node_, std::move(op), ticket);
}

void remote_sink::on_answer(uint64_t ticket, op_result&& r) {
  auto i = requests_.find(ticket);
  if (i == requests_.end())
    return;
  auto req = std::move(i->second);
  requests_.erase(i);
  finish(req.batch, req.part, std::move(req), std::move(r));
}

void remote_sink::fail_all(const caf::error& err) {
  std::vector<uint64_t> tickets;
  tickets.reserve(requests_.size());
  for (auto& kv : requests_)
    tickets.push_back(kv.first);
  std::sort(tickets.begin(), tickets.end());
  for (auto t : tickets) {
    op_result r;
    r.err = err;
    on_answer(t, std::move(r));
  }
}

void remote_sink::finish(uint64_t batch, uint32_t part, request&& req,
                         op_result&& r) {
  auto i = batches_.find(batch);
  if (i == batches_.end())
    return;
  auto& ob = i->second;
  if (part < ob.parts.size()) {
    auto& out = ob.parts[part];
    auto failed = [&](const caf::error& err, caf::actor_id pusher) {
      auto same = [&](const pusher_failure& f) { return f.pusher == pusher; };
      if (std::none_of(out.failures.begin(), out.failures.end(), same))
        out.failures.push_back(pusher_failure{pusher, err, node_});
    };
    if (r.err) {
      if (!out.err)
        out.err = r.err;
      failed(r.err, 0);
    } else {
      out.sessions += r.report.sessions_reached;
      // The owner's pushers are named by their node here: the peer's claim
      // of a node name is not taken.
      for (auto& f : r.report.failed_pushers)
        failed(f.reason, f.pusher);
      // A broadcast's part counts its users only if the owner reached
      // somebody it targeted.
      if (req.login_ids.empty())
        out.any = r.report.users_reached > 0 || r.report.users_targeted == 0;
      if (r.report.users_reached > 0) {
        std::unordered_set<std::string> offline(r.report.not_online.begin(),
                                                r.report.not_online.end());
        for (size_t k = 0; k < req.login_ids.size(); ++k) {
          auto at = req.first + k;
          if (at < out.reached.size())
            out.reached[at] = offline.count(req.login_ids[k]) == 0;
        }
      }
    }
  }
  if (--ob.waiting > 0)
    return;
  auto parts = std::move(ob.parts);
  batches_.erase(i);
  pipeline_.on_remote_answer(batch, waiter(), std::move(parts));
}

} // namespace presence::detail

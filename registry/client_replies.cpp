#include "registry/client_replies.hpp"

#include <algorithm>

namespace presence::detail {

uint32_t client_replies::client_of(const caf::actor& reply_to, bool& added) {
  auto i = index_.find(reply_to.id());
  if (i != index_.end()) {
    added = false;
    return i->second;
  }
  auto idx = static_cast<uint32_t>(clients_.size());
  clients_.push_back(
    client_entry{caf::actor_cast<client_actor>(reply_to), client_results{}});
  index_.emplace(reply_to.id(), idx);
  added = true;
  return idx;
}

bool client_replies::drop(caf::actor_id id) {
  auto i = index_.find(id);
  if (i == index_.end())
    return false;
  clients_[i->second] = client_entry{};
  index_.erase(i);
  return true;
}

void client_replies::complete_part(uint64_t id, forwarded_writes::part&& x) {
  forwarded_writes::merged m;
  if (!forwards.add(id, std::move(x), m))
    return;
  if (m.err)
    fail(m.target, std::move(m.err));
  else if (m.kind == forwarded_writes::answer_kind::change)
    complete(m.target, m.change);
  else
    complete(m.target, std::move(m.report));
}

void client_replies::complete(reply_target& rt, const change_result& x) {
  if (rt.client == reply_target::merge_client) {
    forwarded_writes::part p;
    p.change = x;
    complete_part(rt.ticket, std::move(p));
  } else if (rt.client != reply_target::no_client) {
    result(rt.client, rt.ticket).change = x;
    written(rt.client);
  } else if (rt.promise.pending()) {
    rt.promise.deliver(x);
  }
}

void client_replies::complete(reply_target& rt, delivery_report&& x) {
  if (rt.client == reply_target::merge_client) {
    forwarded_writes::part p;
    p.report = std::move(x);
    complete_part(rt.ticket, std::move(p));
  } else if (rt.client != reply_target::no_client) {
    result(rt.client, rt.ticket).report = std::move(x);
    written(rt.client);
  } else if (rt.promise.pending()) {
    rt.promise.deliver(std::move(x));
  }
}

void client_replies::fail(reply_target& rt, caf::error err) {
  if (rt.client == reply_target::merge_client) {
    forwarded_writes::part p;
    p.err = std::move(err);
    complete_part(rt.ticket, std::move(p));
  } else if (rt.client != reply_target::no_client) {
    result(rt.client, rt.ticket).err = std::move(err);
    written(rt.client);
  } else if (rt.promise.pending()) {
    rt.promise.deliver(std::move(err));
  }
}

void client_replies::batch_done(uint32_t client, std::vector<client_op>&& ops) {
  auto& out = clients_[client].out;
  ++out.batches_done;
  if (out.spares.size() < max_spare_batches) {
    ops.clear();
    out.spares.push_back(std::move(ops));
  }
  want_flush();
}

void client_replies::flush() {
  flush_asked_ = false;
  for (auto& c : clients_)
    if (c.out.batches_done > 0 || !c.out.results.empty())
      send(c);
}

void client_replies::send(client_entry& c) {
  if (!c.handle) {
    // The client is gone: nobody waits for these.
    c.out = client_results{};
    return;
  }
  auto n = c.out.results.size();
  owner_.send_results(c.handle, std::move(c.out));
  c.out = client_results{};
  c.out.results.reserve(std::max<size_t>(n, 16));
}

} // namespace presence::detail

#include "registry/relay_set.hpp"

#include <algorithm>

#include <caf/make_message.hpp>
#include <caf/sec.hpp>

#include "actors/pusher_relay.hpp"
#include "registry/push_pipeline.hpp"

namespace presence::detail {

relay_set::relay_entry* relay_set::find(caf::actor_id id) {
  for (auto& r : relays_)
    if (r.id == id)
      return &r;
  return nullptr;
}

void relay_set::add(const pusher_actor& p) {
  relay_entry* prev = nullptr;
  for (auto& r : relays_)
    if (r.pusher_id == p.id() && !r.has_successor)
      prev = &r;
  auto relay = owner_.spawn_relay(p, prev != nullptr);
  if (prev != nullptr) {
    prev->has_successor = true;
    owner_.send_to(prev->relay,
                   caf::make_message(relay_handover_atom::value, relay));
  }
  auto& r = relays_.emplace_back();
  r.id = relay.id();
  r.relay = std::move(relay);
  r.pusher = p;
  r.pusher_id = p.id();
  ++current_;
  set_ready(true);
}

void relay_set::drop(caf::actor_id id) {
  auto i = std::find_if(relays_.begin(), relays_.end(),
                        [&](auto& r) { return r.id == id; });
  if (i == relays_.end())
    return;
  owner_.stop(i->relay);
  if (!i->draining && --current_ == 0)
    set_ready(false);
  relays_.erase(i);
}

void relay_set::drain(caf::actor_id pusher_id, bool successor) {
  for (auto& r : relays_) {
    if (r.pusher_id != pusher_id || r.draining)
      continue;
    r.draining = true;
    if (--current_ == 0)
      set_ready(false);
    auto p = r.pusher;
    auto open = r.open;
    auto id = r.id;
    if (successor)
      add(p); // invalidates r
    if (open == 0)
      drop(id);
    return;
  }
}

bool relay_set::answer(relay_entry& r, uint64_t batch_id,
                       const caf::error& err) {
  if (!pipeline_.on_answer(batch_id, r.id, r.pusher_id, err))
    return false;
  --r.open;
  return true;
}

void relay_set::on_answer(caf::actor_id relay_id, uint64_t batch_id,
                          const caf::error& err) {
  auto r = find(relay_id);
  if (r == nullptr)
    return; // Not a relay of ours (or one already gone).
  if (!answer(*r, batch_id, err) && r->held > 0) {
    // An answer after the batch timed out: the relay freed its handler.
    --r->held;
  }
  if (r->draining && r->open == 0)
    drop(r->id);
}

void relay_set::expire() {
  auto timeout = caf::make_error(caf::sec::request_timeout);
  pipeline_.expire([&](uint64_t batch_id, caf::actor_id waiter) {
    if (auto r = find(waiter)) {
      // The relay keeps the request until the pusher answers it.
      ++r->held;
      answer(*r, batch_id, timeout);
    }
  });
  tidy();
}

void relay_set::tidy() {
  std::vector<caf::actor_id> full;
  std::vector<caf::actor_id> done;
  for (auto& r : relays_)
    if (!r.draining && r.held > max_held_batches)
      full.push_back(r.pusher_id);
    else if (r.draining && r.open == 0)
      done.push_back(r.id);
  for (auto rid : done)
    drop(rid);
  for (auto pid : full)
    drain(pid, true);
}

void relay_set::on_pusher_down(caf::actor_id pusher_id,
                               const caf::error& why) {
  auto reason = why ? why : caf::make_error(caf::sec::request_receiver_down);
  std::vector<caf::actor_id> ids;
  for (auto& r : relays_)
    if (r.pusher_id == pusher_id)
      ids.push_back(r.id);
  for (auto rid : ids) {
    for (auto key : pipeline_.waiting_on(rid))
      if (auto r = find(rid))
        answer(*r, key, reason);
    drop(rid);
  }
}

void relay_set::send(const caf::message& batch,
                     std::vector<caf::actor_id>& waiting) {
  for (auto& r : relays_)
    if (!r.draining) {
      ++r.open;
      waiting.push_back(r.id);
      owner_.send_to(r.relay, batch);
    }
}

} // namespace presence::detail

#include "registry/offline_buffer.hpp"

#include <algorithm>

namespace presence::detail {

namespace {

// What a buffered message costs beyond its strings: the entry, its deque slot
// and its reference in the global order.
constexpr size_t entry_overhead = 160;

size_t cost_of(const push_message& msg, const std::string& login_id) {
  size_t result = entry_overhead + msg.content.size() + msg.message_id.size()
                  + 2 * login_id.size() + msg.type.custom_name().size();
  for (auto& [k, v] : msg.metadata)
    result += k.size() + v.size() + 64;
  return result;
}

} // namespace

offline_buffer::offline_buffer(size_t per_user, caf::timespan ttl,
                               size_t max_bytes)
  : per_user_(per_user), ttl_(ttl), max_bytes_(max_bytes) {
}

offline_buffer::put_result offline_buffer::put(const std::string& login_id,
                                               const push_message& msg,
                                               time_point now) {
  put_result result;
  auto cost = cost_of(msg, login_id);
  if (per_user_ == 0 || cost > max_bytes_) {
    ++drops_;
    result.dropped = 1;
    return result;
  }
  sweep(now);
  if (auto i = users_.find(login_id);
      i != users_.end() && i->second.size() >= per_user_) {
    drop_front_of(i->second, login_id);
    ++result.dropped;
  }
  while (bytes_ + cost > max_bytes_ && drop_oldest())
    ++result.dropped;
  // Looked up only now: dropping may have erased this user's queue.
  auto& q = users_[login_id];
  auto seq = next_seq_++;
  auto expires = now + ttl_;
  q.push_back(entry{msg, expires, cost, seq});
  q.back().msg.keep_if_offline = false;
  order_.push_back(ref{login_id, seq, expires});
  ++size_;
  bytes_ += cost;
  result.kept = true;
  if (order_.size() > 2 * size_ + 1024)
    compact();
  return result;
}

std::vector<push_message> offline_buffer::take(const std::string& login_id,
                                               time_point now) {
  std::vector<push_message> result;
  auto i = users_.find(login_id);
  if (i == users_.end())
    return result;
  for (auto& e : i->second) {
    size_ -= 1;
    bytes_ -= e.bytes;
    if (e.expires <= now)
      ++drops_;
    else
      result.push_back(std::move(e.msg));
  }
  users_.erase(i);
  return result;
}

void offline_buffer::drop_front_of(std::deque<entry>& q,
                                   const std::string& login_id) {
  size_ -= 1;
  bytes_ -= q.front().bytes;
  ++drops_;
  q.pop_front();
  if (q.empty())
    users_.erase(login_id);
}

bool offline_buffer::pop_order_front() {
  auto r = std::move(order_.front());
  order_.pop_front();
  auto i = users_.find(r.login_id);
  if (i == users_.end() || i->second.empty()
      || i->second.front().seq != r.seq)
    return false; // delivered or evicted already
  drop_front_of(i->second, r.login_id);
  return true;
}

bool offline_buffer::drop_oldest() {
  while (!order_.empty())
    if (pop_order_front())
      return true;
  return false;
}

void offline_buffer::sweep(time_point now) {
  while (!order_.empty() && order_.front().expires <= now)
    pop_order_front();
}

void offline_buffer::compact() {
  std::deque<ref> live;
  for (auto& r : order_) {
    auto i = users_.find(r.login_id);
    if (i == users_.end())
      continue;
    auto& q = i->second;
    // Sequence numbers within a queue ascend: binary search for r.seq.
    auto j = std::lower_bound(q.begin(), q.end(), r.seq,
                              [](const entry& e, uint64_t s) {
                                return e.seq < s;
                              });
    if (j != q.end() && j->seq == r.seq)
      live.push_back(std::move(r));
  }
  order_.swap(live);
}

offline_buffer::time_point offline_buffer::next_expiry() const {
  return order_.empty() ? time_point{} : order_.front().expires;
}

} // namespace presence::detail

#include "registry/bulk_logouts.hpp"

#include <algorithm>

namespace presence::detail {

namespace {

size_t slot_count_for(size_t n) {
  size_t x = 16;
  while (x < 2 * n)
    x *= 2;
  return x;
}

} // namespace

uint32_t bulk_logouts::add(std::vector<std::string>&& login_ids,
                           origin source) {
  auto& x = lists_.emplace_back();
  x.login_ids = std::move(login_ids);
  x.source = source;
  auto n = x.login_ids.size();
  x.hashes.resize(n);
  x.taken.assign(n, false);
  x.slots.assign(slot_count_for(n), 0);
  auto mask = x.slots.size() - 1;
  x.filter_log2 = 9;
  while ((size_t{1} << x.filter_log2) < 16 * n)
    ++x.filter_log2;
  x.filter.assign((size_t{1} << x.filter_log2) / 64, 0);
  for (size_t pos = 0; pos < n; ++pos) {
    auto& id = x.login_ids[pos];
    auto h = login_hash_of(id);
    x.hashes[pos] = h;
    auto i = h & mask;
    bool duplicate = false;
    for (; x.slots[i] != 0; i = (i + 1) & mask) {
      auto other = x.slots[i] - 1;
      if (x.hashes[other] == h && x.login_ids[other] == id) {
        duplicate = true;
        break;
      }
    }
    if (duplicate) {
      // Listed twice: one logout, one part of the answer.
      x.taken[pos] = true;
      continue;
    }
    x.slots[i] = static_cast<uint32_t>(pos + 1);
    auto [a, b] = x.bits_of(h);
    x.filter[a >> 6] |= uint64_t{1} << (a & 63);
    x.filter[b >> 6] |= uint64_t{1} << (b & 63);
    ++x.left;
  }
  return static_cast<uint32_t>(x.left);
}

size_t bulk_logouts::list::find(size_t hash,
                                const std::string& login_id) const {
  if (!may_hold(hash))
    return npos;
  auto mask = slots.size() - 1;
  for (auto i = hash & mask; slots[i] != 0; i = (i + 1) & mask) {
    auto pos = slots[i] - 1;
    if (hashes[pos] == hash && login_ids[pos] == login_id)
      return taken[pos] ? npos : pos;
  }
  return npos;
}

void bulk_logouts::list::emit(size_t pos, client_op& op) {
  taken[pos] = true;
  --left;
  op.kind = op_kind::mark_offline_all;
  // A taken entry is never found again: its emptied login id matches no
  // call's (they are never empty).
  op.user.login_id = std::move(login_ids[pos]);
  login_ids[pos].clear();
  op.login_hash = hashes[pos];
  op.source = source;
}

bool bulk_logouts::next_chunk(std::vector<client_op>& out,
                              uint64_t& merge_id, size_t max_users) {
  out.clear();
  if (lists_.empty())
    return false;
  auto& x = lists_.front();
  merge_id = x.merge_id;
  auto n = x.login_ids.size();
  while (x.next < n && out.size() < max_users) {
    auto pos = x.next++;
    if (!x.taken[pos])
      x.emit(pos, out.emplace_back());
  }
  if (x.left == 0)
    lists_.pop_front();
  return !lists_.empty();
}

} // namespace presence::detail

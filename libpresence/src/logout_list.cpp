#include "logout_list.hpp"

#include "presence/detail/protocol.hpp"

namespace presence::detail {

logout_filter::logout_filter(size_t users) {
  size_t words = 8;
  while (words < users / 4)
    words *= 2;
  words_.assign(words, 0);
  mask_ = words - 1;
}

logout_list::logout_list(std::vector<std::string>&& login_ids)
  : login_ids_(std::move(login_ids)) {
  auto n = login_ids_.size();
  auto filter = std::make_shared<logout_filter>(n);
  hashes_.resize(n);
  sent_.assign(n, false);
  size_t slot_count = 16;
  while (slot_count < 2 * n)
    slot_count *= 2;
  slots_.assign(slot_count, 0);
  auto mask = slot_count - 1;
  for (size_t pos = 0; pos < n; ++pos) {
    auto& id = login_ids_[pos];
    auto h = login_hash_of(id);
    hashes_[pos] = h;
    auto i = h & mask;
    bool duplicate = false;
    for (; slots_[i] != 0; i = (i + 1) & mask) {
      auto other = slots_[i] - 1;
      if (hashes_[other] == h && login_ids_[other] == id) {
        duplicate = true;
        break;
      }
    }
    if (duplicate) {
      sent_[pos] = true; // its first listing covers it
      continue;
    }
    slots_[i] = static_cast<uint32_t>(pos + 1);
    filter->add(h);
    ++left_;
  }
  filter_ = std::move(filter);
}

size_t logout_list::find(size_t hash, const std::string& login_id) const {
  if (!filter_->may_hold(hash))
    return npos;
  auto mask = slots_.size() - 1;
  for (auto i = hash & mask; slots_[i] != 0; i = (i + 1) & mask) {
    auto pos = slots_[i] - 1;
    if (hashes_[pos] == hash && login_ids_[pos] == login_id)
      return sent_[pos] ? npos : pos;
  }
  return npos;
}

bool logout_list::take(size_t hash, const std::string& login_id) {
  auto pos = find(hash, login_id);
  if (pos == npos)
    return false;
  mark_sent(pos);
  return true;
}

std::vector<std::string> logout_list::next_chunk() {
  std::vector<std::string> out;
  auto n = login_ids_.size();
  while (next_ < n && out.size() < chunk_size) {
    auto pos = next_++;
    if (sent_[pos])
      continue;
    mark_sent(pos);
    // Copied: the index still compares later calls' login ids with it.
    out.push_back(login_ids_[pos]);
  }
  return out;
}

} // namespace presence::detail

#include "registry/token_index.hpp"

#include <functional>

namespace presence::detail {

namespace {

using tagged_slot::pos_of;
using tagged_slot::tag_of;
using tagged_slot::tag_of_hash;

} // namespace

size_t token_index::hash(const std::string& token) noexcept {
  return std::hash<std::string>{}(token);
}

void token_index::grow() {
  auto old = std::move(slots_);
  slots_.assign(old.empty() ? 64 : old.size() * 2, 0);
  auto mask = slots_.size() - 1;
  for (auto v : old) {
    if (v == 0)
      continue;
    auto slot = tag_of(v) & mask;
    while (slots_[slot] != 0)
      slot = (slot + 1) & mask;
    slots_[slot] = v;
  }
}

void token_index::insert(size_t hash, size_t pos) {
  // At most half full, so probes stay short.
  if ((size_ + 1) * 2 > slots_.size())
    grow();
  auto mask = slots_.size() - 1;
  auto slot = tag_of_hash(hash) & mask;
  while (slots_[slot] != 0)
    slot = (slot + 1) & mask;
  slots_[slot] = tagged_slot::make(hash, pos);
  ++size_;
}

size_t token_index::slot_of(size_t hash, size_t pos) const {
  if (slots_.empty())
    return npos;
  auto mask = slots_.size() - 1;
  for (auto slot = tag_of_hash(hash) & mask;; slot = (slot + 1) & mask) {
    if (slots_[slot] == 0)
      return npos;
    if (pos_of(slots_[slot]) == pos)
      return slot;
  }
}

void token_index::move(size_t hash, size_t from, size_t to) {
  if (auto slot = slot_of(hash, from); slot != npos)
    slots_[slot] = tagged_slot::make(hash, to);
}

void token_index::erase(size_t hash, size_t pos) {
  auto hole = slot_of(hash, pos);
  if (hole == npos)
    return;
  auto mask = slots_.size() - 1;
  tagged_slot::erase_at(slots_, hole,
                        [mask](uint64_t slot) { return tag_of(slot) & mask; });
  --size_;
}

} // namespace presence::detail

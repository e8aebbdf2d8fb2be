#include "registry/token_index.hpp"

#include <functional>

namespace presence::detail {

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
  slots_[slot] = make_slot(hash, pos);
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
    slots_[slot] = make_slot(hash, to);
}

void token_index::erase(size_t hash, size_t pos) {
  auto hole = slot_of(hash, pos);
  if (hole == npos)
    return;
  auto mask = slots_.size() - 1;
  // Backward-shift deletion (no tombstones), as in the user table.
  for (auto next = (hole + 1) & mask; slots_[next] != 0;
       next = (next + 1) & mask) {
    auto home = tag_of(slots_[next]) & mask;
    // `next` stays unless its home lies cyclically outside (hole, next].
    bool stays = hole <= next ? (hole < home && home <= next)
                              : (hole < home || home <= next);
    if (!stays) {
      slots_[hole] = slots_[next];
      hole = next;
    }
  }
  slots_[hole] = 0;
  --size_;
}

} // namespace presence::detail

#pragma once

// The slot format of presence's open-addressing indexes (the user table's
// login ids, a session list's tokens): 0 when empty, otherwise the high 32
// bits of the key's hash (the tag) and the record's position + 1. A probe
// compares tags before it touches a record (docs/performance.md), and
// removals use backward-shift deletion, so there are no tombstones.

#include <cstddef>
#include <cstdint>

namespace presence::detail::tagged_slot {

inline uint32_t tag_of_hash(size_t hash) noexcept {
  return static_cast<uint32_t>(static_cast<uint64_t>(hash) >> 32);
}

inline uint32_t tag_of(uint64_t slot) noexcept {
  return static_cast<uint32_t>(slot >> 32);
}

inline size_t pos_of(uint64_t slot) noexcept {
  return static_cast<size_t>(slot & 0xFFFFFFFFu) - 1;
}

inline uint64_t make(size_t hash, size_t pos) noexcept {
  return (uint64_t{tag_of_hash(hash)} << 32) | static_cast<uint64_t>(pos + 1);
}

/// Empties `slots[hole]` by backward-shift deletion: every later slot of
/// the probe run moves into the hole unless its home (`home_of(slot)`, a
/// slot index) lies cyclically in (hole, next]. `slots.size()` is a power
/// of two.
template <class Slots, class HomeOf>
void erase_at(Slots& slots, size_t hole, HomeOf home_of) {
  auto mask = slots.size() - 1;
  for (auto next = (hole + 1) & mask; slots[next] != 0;
       next = (next + 1) & mask) {
    auto home = home_of(slots[next]);
    bool stays = hole <= next ? (hole < home && home <= next)
                              : (hole < home || home <= next);
    if (!stays) {
      slots[hole] = slots[next];
      hole = next;
    }
  }
  slots[hole] = 0;
}

} // namespace presence::detail::tagged_slot

#pragma once

// Positions of a user's sessions by token, for users with many sessions (see
// session_list.hpp). An open-addressing table of tagged slots, like the user
// table's index (tagged_slots.hpp); here the tag also picks the home slot,
// so the table can grow without the tokens. It stores no tokens: a lookup
// confirms a tagged slot with the caller's own comparison, so the index
// never points into records that a vector reallocation moves.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "registry/tagged_slots.hpp"

namespace presence::detail {

class token_index {
public:
  static constexpr size_t npos = static_cast<size_t>(-1);

  static size_t hash(const std::string& token) noexcept;

  /// The position whose slot has `hash`'s tag and for which `matches(pos)`
  /// holds, or npos.
  template <class Matches>
  size_t find(size_t hash, Matches matches) const {
    if (slots_.empty())
      return npos;
    auto mask = slots_.size() - 1;
    auto tag = tagged_slot::tag_of_hash(hash);
    for (auto slot = tag & mask;; slot = (slot + 1) & mask) {
      auto v = slots_[slot];
      if (v == 0)
        return npos;
      if (tagged_slot::tag_of(v) == tag && matches(tagged_slot::pos_of(v)))
        return tagged_slot::pos_of(v);
    }
  }

  /// Files position `pos` under `hash` (the caller knows the token is new).
  void insert(size_t hash, size_t pos);

  /// Removes the slot of position `pos`, filed under `hash`.
  void erase(size_t hash, size_t pos);

  /// Files the record filed at `from` under `hash` at `to` instead.
  void move(size_t hash, size_t from, size_t to);

  void clear() noexcept {
    slots_.clear();
    size_ = 0;
  }

  size_t size() const noexcept {
    return size_;
  }

private:
  void grow();

  /// The slot holding position `pos` in `hash`'s probe sequence, or npos.
  size_t slot_of(size_t hash, size_t pos) const;

  /// Tagged slots; 0 is empty. Size is zero or a power of two.
  std::vector<uint64_t> slots_;
  size_t size_ = 0;
};

} // namespace presence::detail

#pragma once

// Positions of a user's sessions by token, for users with many sessions (see
// session_list.hpp). An open-addressing table of 8-byte slots, like the user
// table's index: the high half of the token's hash as a tag, the position +
// 1 in the low half; the tag also picks the home slot, so the table can
// grow without the tokens. It stores no tokens: a lookup confirms a tagged slot
// with the caller's own comparison, so the index never points into records
// that a vector reallocation moves.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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
    for (auto slot = tag_of_hash(hash) & mask;; slot = (slot + 1) & mask) {
      auto v = slots_[slot];
      if (v == 0)
        return npos;
      if (tag_of(v) == tag_of_hash(hash) && matches(pos_of(v)))
        return pos_of(v);
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
  static uint32_t tag_of_hash(size_t hash) noexcept {
    return static_cast<uint32_t>(static_cast<uint64_t>(hash) >> 32);
  }
  static uint32_t tag_of(uint64_t slot) noexcept {
    return static_cast<uint32_t>(slot >> 32);
  }
  static size_t pos_of(uint64_t slot) noexcept {
    return static_cast<size_t>(slot & 0xFFFFFFFFu) - 1;
  }
  static uint64_t make_slot(size_t hash, size_t pos) noexcept {
    return (uint64_t{tag_of_hash(hash)} << 32) | static_cast<uint64_t>(pos + 1);
  }

  void grow();

  /// The slot holding position `pos` in `hash`'s probe sequence, or npos.
  size_t slot_of(size_t hash, size_t pos) const;

  /// Tagged slots; 0 is empty. Size is zero or a power of two.
  std::vector<uint64_t> slots_;
  size_t size_ = 0;
};

} // namespace presence::detail

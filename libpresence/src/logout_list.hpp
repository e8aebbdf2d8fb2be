#pragma once

// A long mark_offline_users list as the facade feeds it to the registry: in
// chunks, a few at a time, so that the registry's other callers keep most
// of its time while the list runs (docs/design.md, "Mass logout in one
// call"). Calls on one user still take effect in the order they were made:
// a later call through the same facade on a listed user that the list has
// not sent yet takes that user out of the list and sends its logout first
// (take). So the list keeps an index of its users by login hash, built on
// the caller's thread, behind a Bloom filter that every call asks first,
// outside the facade's lock (asked under it, the filter's cache misses
// took a third of the pushing threads' time and capped their rate).
// Plain class; the facade (manager_core) holds its lock around it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace presence::detail {

/// A blocked Bloom filter of a list's login hashes: two bits in one 64-bit
/// word a user, about 16 bits a user, so a call on a user the list does not
/// hold costs one cache miss at most, and no lock (manager_core asks it
/// before taking its lock).
class logout_filter {
public:
  explicit logout_filter(size_t users);

  void add(size_t hash) noexcept {
    words_[hash & mask_] |= bits_of(hash);
  }

  bool may_hold(size_t hash) const noexcept {
    auto bits = bits_of(hash);
    return (words_[hash & mask_] & bits) == bits;
  }

private:
  static uint64_t bits_of(size_t hash) noexcept {
    // The word comes from the low bits; the two bits from the high bits of
    // a multiplicative hash of it.
    auto x = static_cast<uint64_t>(hash) * 0x9E3779B97F4A7C15ull;
    return (uint64_t{1} << (x >> 58)) | (uint64_t{1} << ((x >> 52) & 63));
  }

  std::vector<uint64_t> words_;
  size_t mask_ = 0;
};

class logout_list {
public:
  /// Users a chunk holds at most. A list no longer than this goes to the
  /// registry as one call.
  static constexpr size_t chunk_size = 1024;

  /// Builds the index. A user listed twice is sent once.
  explicit logout_list(std::vector<std::string>&& login_ids);

  /// The next users not sent yet, at most chunk_size, in list order.
  std::vector<std::string> next_chunk();

  /// Every user has been sent (or taken).
  bool all_sent() const noexcept {
    return left_ == 0;
  }

  /// True, and `login_id` taken out of the list, if the list holds it and
  /// has not sent it yet. `hash` is login_hash_of(login_id).
  bool take(size_t hash, const std::string& login_id);

  /// Never changes once the list is made: safe to read without the lock.
  const std::shared_ptr<const logout_filter>& filter() const noexcept {
    return filter_;
  }

private:
  static constexpr size_t npos = SIZE_MAX;

  size_t find(size_t hash, const std::string& login_id) const;

  void mark_sent(size_t pos) {
    sent_[pos] = true;
    --left_;
  }

  std::vector<std::string> login_ids_;
  std::vector<size_t> hashes_;
  /// Positions + 1 (0: empty), open addressing, at most half full.
  std::vector<uint32_t> slots_;
  std::shared_ptr<const logout_filter> filter_;
  std::vector<bool> sent_;
  size_t next_ = 0;
  size_t left_ = 0;
};

} // namespace presence::detail

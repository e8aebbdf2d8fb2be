#include "cluster/view_digest.hpp"

#include <cstring>

namespace presence::cluster {

namespace {

// A word at a time: (h ^ word) * odd constant, then the high bits folded
// down, and a splitmix64 finalizer, because a sum of terms keeps their weak
// low bits. Fixed by this file, unlike std::hash, so every node agrees. A
// byte-at-a-time FNV over the decoded fields had cost a replicated removal
// about a fifth of its CPU (docs/performance.md, "Cheaper replicated
// removals").
class hasher {
public:
  void add(uint64_t x) noexcept {
    h_ = (h_ ^ x) * 0x9e3779b97f4a7c15ULL;
    h_ ^= h_ >> 32;
  }

  /// The length first, so ("ab", "c") and ("a", "bc") differ.
  void add(std::string_view x) noexcept {
    add(static_cast<uint64_t>(x.size()));
    auto p = x.data();
    auto n = x.size();
    for (; n >= 8; p += 8, n -= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      add(w);
    }
    if (n > 0) {
      uint64_t w = 0;
      std::memcpy(&w, p, n);
      add(w);
    }
  }

  uint64_t result() const noexcept {
    auto z = h_ + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

} // namespace

uint64_t owner_digest(const std::string& owner, incarnation_id incarnation) {
  hasher h;
  h.add(uint64_t{0}); // Owner terms and session terms never collide by shape.
  h.add(owner);
  h.add(incarnation);
  return h.result();
}

uint64_t session_digest(const std::string& owner, incarnation_id incarnation,
                        const packed_session& x) {
  hasher h;
  h.add(uint64_t{1});
  h.add(owner);
  h.add(incarnation);
  auto [head, tail] = x.identity();
  h.add(head);
  h.add(tail);
  return h.result();
}

session_set::put_result put_counted(session_set& set, uint64_t& terms,
                                    const std::string& owner,
                                    incarnation_id incarnation,
                                    const replica_session& x) {
  packed_session old;
  packed_session fresh{x};
  auto term = session_digest(owner, incarnation, fresh);
  auto r = set.put(std::move(fresh), &old);
  if (r == session_set::put_result::changed)
    terms -= session_digest(owner, incarnation, old);
  if (r != session_set::put_result::same)
    terms += term;
  return r;
}

bool erase_counted(session_set& set, uint64_t& terms, const std::string& owner,
                   incarnation_id incarnation, std::string_view key,
                   uint32_t hash, packed_session* old) {
  packed_session removed;
  if (!set.erase(key, hash, &removed))
    return false;
  terms -= session_digest(owner, incarnation, removed);
  if (old != nullptr)
    *old = std::move(removed);
  return true;
}

} // namespace presence::cluster

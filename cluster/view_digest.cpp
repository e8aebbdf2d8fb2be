#include "cluster/view_digest.hpp"

namespace presence::cluster {

namespace {

// FNV-1a with each field's length first, so ("ab", "c") and ("a", "bc")
// differ. Fixed by this file, unlike std::hash, so every node agrees.
class hasher {
public:
  void add(uint64_t x) noexcept {
    for (int i = 0; i < 8; ++i) {
      h_ ^= (x >> (8 * i)) & 0xff;
      h_ *= 0x100000001b3ULL;
    }
  }

  void add(const std::string& x) noexcept {
    add(static_cast<uint64_t>(x.size()));
    for (auto c : x) {
      h_ ^= static_cast<unsigned char>(c);
      h_ *= 0x100000001b3ULL;
    }
  }

  // A sum of FNV values keeps their weak low bits: mix before summing.
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
                        const replica_session& x) {
  hasher h;
  h.add(uint64_t{1});
  h.add(owner);
  h.add(incarnation);
  h.add(x.login_id);
  h.add(x.token);
  h.add(x.device);
  h.add(static_cast<uint64_t>(x.connect_time.time_since_epoch().count()));
  h.add(static_cast<uint64_t>(x.metadata.size()));
  for (auto& [k, v] : x.metadata) {
    h.add(k);
    h.add(v);
  }
  return h.result();
}

session_set::put_result put_counted(session_set& set, uint64_t& terms,
                                    const std::string& owner,
                                    incarnation_id incarnation,
                                    const replica_session& x) {
  packed_session old;
  auto r = set.put(packed_session{x}, &old);
  if (r == session_set::put_result::changed)
    terms -= session_digest(owner, incarnation, old.decode());
  if (r != session_set::put_result::same)
    terms += session_digest(owner, incarnation, x);
  return r;
}

std::optional<replica_session> erase_counted(session_set& set, uint64_t& terms,
                                             const std::string& owner,
                                             incarnation_id incarnation,
                                             std::string_view key) {
  packed_session old;
  if (!set.erase(key, &old))
    return std::nullopt;
  auto x = old.decode();
  terms -= session_digest(owner, incarnation, x);
  return x;
}

} // namespace presence::cluster

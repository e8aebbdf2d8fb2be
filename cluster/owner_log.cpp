#include "cluster/owner_log.hpp"

#include "cluster/view_digest.hpp"

namespace presence::cluster {

owner_log::owner_log(std::string owner, incarnation_id incarnation)
  : owner_(std::move(owner)), incarnation_(incarnation) {
  // nop
}

std::optional<owner_delta> owner_log::commit(std::vector<session_op> ops) {
  // The ops that change something stay, compacted in place: moving each into
  // a new vector cost more than the erase of a removal.
  size_t kept = 0;
  prefetch_.run(sessions_, ops, [&](size_t i, std::string_view key,
                                    uint32_t hash) {
    auto& x = ops[i].session;
    bool changed = false;
    if (ops[i].kind == op_kind::upsert)
      changed = put_counted(sessions_, session_terms_, owner_, incarnation_, x)
                != session_set::put_result::same;
    else
      changed = erase_counted(sessions_, session_terms_, owner_, incarnation_,
                              key, hash);
    if (changed) {
      if (kept != i)
        ops[kept] = std::move(ops[i]);
      ++kept;
    }
  });
  if (kept == 0)
    return std::nullopt;
  ops.resize(kept);
  return owner_delta{owner_, incarnation_, ++seq_, std::move(ops)};
}

std::optional<owner_delta> owner_log::upsert(replica_session x) {
  std::vector<session_op> ops;
  ops.push_back(session_op{op_kind::upsert, std::move(x)});
  return commit(std::move(ops));
}

std::optional<owner_delta> owner_log::remove(const std::string& login_id,
                                             const std::string& token) {
  std::vector<session_op> ops;
  ops.push_back(session_op{op_kind::remove, {}});
  ops.back().session.login_id = login_id;
  ops.back().session.token = token;
  return commit(std::move(ops));
}

size_t owner_log::encoded_size(const replica_session& x) noexcept {
  // Strings as a length and their bytes, timestamps as 8 bytes each.
  constexpr size_t len = 4;
  auto n = 3 * len + x.login_id.size() + x.token.size() + x.device.size()
           + 2 * 8 + len;
  for (auto& [k, v] : x.metadata)
    n += 2 * len + k.size() + v.size();
  return n;
}

std::vector<snapshot_chunk> owner_log::snapshot(size_t max_chunk_bytes) const {
  std::vector<snapshot_chunk> out;
  auto next = [&] {
    out.push_back(snapshot_chunk{owner_, incarnation_, seq_,
                                 static_cast<uint32_t>(out.size()), false, {}});
  };
  next();
  size_t bytes = 0;
  sessions_.for_each([&](const packed_session& p) {
    auto x = p.decode();
    auto n = encoded_size(x);
    auto& cur = out.back().sessions;
    if (!cur.empty()
        && (bytes + n > max_chunk_bytes
            || cur.size() == sessions_per_sent_chunk)) {
      next();
      bytes = 0;
    }
    out.back().sessions.push_back(std::move(x));
    bytes += n;
  });
  out.back().last = true;
  return out;
}

std::vector<replica_session> owner_log::sessions() const {
  return sessions_.sorted();
}

uint64_t owner_log::digest() const {
  return owner_digest(owner_, incarnation_) + session_terms_;
}

std::optional<replica_session>
owner_log::find(const std::string& login_id, const std::string& token) const {
  if (auto p = sessions_.find(packed_session::key_of(login_id, token)))
    return p->decode();
  return std::nullopt;
}

std::optional<caf::timestamp>
owner_log::connect_time_of_key(std::string_view key) const {
  if (auto p = sessions_.find(key))
    return p->connect_time();
  return std::nullopt;
}

} // namespace presence::cluster

#include "cluster/owner_log.hpp"

#include "cluster/view_digest.hpp"

namespace presence::cluster {

owner_log::owner_log(std::string owner, incarnation_id incarnation)
  : owner_(std::move(owner)), incarnation_(incarnation) {
  // nop
}

std::optional<owner_delta> owner_log::commit(std::vector<session_op> ops) {
  owner_delta out{owner_, incarnation_, 0, {}};
  for (auto& op : ops) {
    session_key key{op.session.login_id, op.session.token};
    auto i = sessions_.find(key);
    if (op.kind == op_kind::upsert) {
      if (i == sessions_.end()) {
        i = sessions_.emplace(std::move(key), op.session).first;
      } else if (i->second != op.session) {
        session_terms_ -= term(i->second);
        i->second = op.session;
      } else {
        continue;
      }
      session_terms_ += term(i->second);
    } else if (i != sessions_.end()) {
      session_terms_ -= term(i->second);
      sessions_.erase(i);
    } else {
      continue;
    }
    out.ops.push_back(std::move(op));
  }
  if (out.ops.empty())
    return std::nullopt;
  out.seq = ++seq_;
  return out;
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
  for (auto& kvp : sessions_) {
    auto n = encoded_size(kvp.second);
    auto& cur = out.back().sessions;
    if (!cur.empty()
        && (bytes + n > max_chunk_bytes
            || cur.size() == max_sessions_per_chunk)) {
      next();
      bytes = 0;
    }
    out.back().sessions.push_back(kvp.second);
    bytes += n;
  }
  out.back().last = true;
  return out;
}

std::vector<replica_session> owner_log::sessions() const {
  std::vector<replica_session> out;
  out.reserve(sessions_.size());
  for (auto& kvp : sessions_)
    out.push_back(kvp.second);
  return out;
}

uint64_t owner_log::digest() const {
  return owner_digest(owner_, incarnation_) + session_terms_;
}

uint64_t owner_log::term(const replica_session& x) const {
  return session_digest(owner_, incarnation_, x);
}

const replica_session* owner_log::find(const std::string& login_id,
                                       const std::string& token) const {
  auto i = sessions_.find(session_key{login_id, token});
  return i != sessions_.end() ? &i->second : nullptr;
}

} // namespace presence::cluster

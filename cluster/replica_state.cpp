#include "cluster/replica_state.hpp"

#include <algorithm>

#include "cluster/view_digest.hpp"

namespace presence::cluster {

namespace {

void add_change(view_changes& out, change_kind kind, change_reason why,
                const std::string& owner, incarnation_id incarnation,
                replica_session x) {
  out.push_back(view_change{kind, why, owner, std::move(x), incarnation});
}

} // namespace

apply_result replica_state::apply(owner_delta x) {
  auto i = owners_.find(x.owner);
  if (i == owners_.end() || i->second.incarnation != x.incarnation)
    return {apply_status::needs_snapshot, {}};
  auto& copy = i->second;
  if (x.seq <= copy.seq)
    return {apply_status::ignored, {}};
  if (x.seq != copy.seq + 1)
    return {apply_status::needs_snapshot, {}};
  apply_result result{apply_status::applied, {}};
  auto& out = result.changes;
  out.reserve(x.ops.size());
  prefetch_.run(copy.sessions, x.ops, [&](size_t i, std::string_view key,
                                          uint32_t hash) {
    auto& op = x.ops[i];
    if (op.kind == op_kind::upsert) {
      auto r = put_counted(copy.sessions, copy.digest, x.owner, x.incarnation,
                           op.session);
      if (r == session_set::put_result::added) {
        ++sessions_;
        add_change(out, change_kind::joined, change_reason::delta, x.owner,
                   x.incarnation, std::move(op.session));
      } else if (r == session_set::put_result::changed) {
        add_change(out, change_kind::updated, change_reason::delta, x.owner,
                   x.incarnation, std::move(op.session));
      }
      return;
    }
    packed_session last;
    if (erase_counted(copy.sessions, copy.digest, x.owner, x.incarnation, key,
                      hash, &last)) {
      --sessions_;
      add_change(out, change_kind::left, change_reason::delta, x.owner,
                 x.incarnation, last.decode());
    }
  });
  copy.seq = x.seq;
  return result;
}

apply_result replica_state::apply(const snapshot_chunk& x) {
  auto j = assembling_.find(x.owner);
  if (x.index == 0) {
    if (j == assembling_.end())
      j = assembling_.emplace(x.owner, assembly{}).first;
    j->second = assembly{x.incarnation, x.seq, 0, {}, 0};
  } else if (j == assembling_.end() || j->second.incarnation != x.incarnation
             || j->second.seq != x.seq || j->second.next_index != x.index) {
    // A lost or reordered chunk: the snapshot cannot complete.
    if (j != assembling_.end())
      assembling_.erase(j);
    return {apply_status::needs_snapshot, {}};
  }
  auto& snap = j->second;
  for (auto& s : x.sessions)
    put_counted(snap.sessions, snap.digest, x.owner, x.incarnation, s);
  snap.next_index = x.index + 1;
  if (!x.last)
    return {apply_status::pending, {}};
  auto done = std::move(snap);
  assembling_.erase(j);
  return finish(x.owner, std::move(done));
}

apply_result replica_state::finish(const std::string& owner, assembly&& snap) {
  apply_result result{apply_status::applied, {}};
  auto& out = result.changes;
  auto i = owners_.find(owner);
  if (i == owners_.end()) {
    out.reserve(snap.sessions.size());
    snap.sessions.for_each([&](const packed_session& s) {
      add_change(out, change_kind::joined, change_reason::snapshot, owner,
                 snap.incarnation, s.decode());
    });
    sessions_ += snap.sessions.size();
    owners_.emplace(owner,
                    owner_copy{snap.incarnation, snap.seq,
                               std::move(snap.sessions), snap.digest});
    return result;
  }
  auto& copy = i->second;
  if (copy.incarnation != snap.incarnation) {
    // A restarted owner: its old sessions died with it, even those whose
    // (login_id, token) came back; no diff across incarnations.
    out.reserve(copy.sessions.size() + snap.sessions.size());
    copy.sessions.for_each([&](const packed_session& s) {
      add_change(out, change_kind::left, change_reason::new_incarnation, owner,
                 copy.incarnation, s.decode());
    });
    snap.sessions.for_each([&](const packed_session& s) {
      add_change(out, change_kind::joined, change_reason::new_incarnation,
                 owner, snap.incarnation, s.decode());
    });
  } else if (snap.seq < copy.seq) {
    return {apply_status::ignored, {}};
  } else {
    // The copy's sessions missing from the snapshot left; the snapshot's
    // new or different ones joined or changed (equal bytes, equal session).
    copy.sessions.for_each([&](const packed_session& s) {
      if (snap.sessions.find(s.key()) == nullptr)
        add_change(out, change_kind::left, change_reason::snapshot, owner,
                   copy.incarnation, s.decode());
    });
    snap.sessions.for_each([&](const packed_session& s) {
      auto mine = copy.sessions.find(s.key());
      if (mine == nullptr)
        add_change(out, change_kind::joined, change_reason::snapshot, owner,
                   snap.incarnation, s.decode());
      else if (mine->bytes() != s.bytes())
        add_change(out, change_kind::updated, change_reason::snapshot, owner,
                   snap.incarnation, s.decode());
    });
  }
  sessions_ = sessions_ - copy.sessions.size() + snap.sessions.size();
  copy = owner_copy{snap.incarnation, snap.seq, std::move(snap.sessions),
                    snap.digest};
  return result;
}

view_changes replica_state::drop_owner(const std::string& owner,
                                       change_reason why) {
  view_changes out;
  assembling_.erase(owner);
  auto i = owners_.find(owner);
  if (i == owners_.end())
    return out;
  out.reserve(i->second.sessions.size());
  i->second.sessions.for_each([&](const packed_session& s) {
    add_change(out, change_kind::left, why, owner, i->second.incarnation,
               s.decode());
  });
  sessions_ -= i->second.sessions.size();
  owners_.erase(i);
  return out;
}

bool replica_state::behind(const std::string& owner,
                           incarnation_id incarnation, seq_number seq) const {
  auto i = owners_.find(owner);
  return i == owners_.end() || i->second.incarnation != incarnation
         || i->second.seq < seq;
}

std::vector<owned_session>
replica_state::sessions_of(const std::string& login_id) const {
  std::vector<owned_session> out;
  // Not structured bindings: C++17 lambdas cannot capture them (clang
  // refuses; the fuzz build uses clang).
  for (auto& kvp : owners_) {
    auto& owner = kvp.first;
    auto& copy = kvp.second;
    auto first = out.size();
    copy.sessions.for_each([&](const packed_session& s) {
      if (s.login_id() == login_id)
        out.push_back(owned_session{owner, copy.incarnation, s.decode()});
    });
    std::sort(out.begin() + static_cast<ptrdiff_t>(first), out.end(),
              [](const owned_session& x, const owned_session& y) {
                return x.session.token < y.session.token;
              });
  }
  return out;
}

std::vector<owned_session>
replica_state::holders(const std::string& login_id, const std::string& token,
                       const std::string& except) const {
  return holders_of_key(packed_session::key_of(login_id, token), except);
}

std::vector<owned_session>
replica_state::holders_of_key(std::string_view key,
                              const std::string& except) const {
  std::vector<owned_session> out;
  for (auto& [owner, copy] : owners_) {
    if (owner == except)
      continue;
    if (auto p = copy.sessions.find(key))
      out.push_back(owned_session{owner, copy.incarnation, p->decode()});
  }
  return out;
}

std::optional<owner_status>
replica_state::status(const std::string& owner) const {
  auto i = owners_.find(owner);
  if (i == owners_.end())
    return std::nullopt;
  return owner_status{i->second.incarnation, i->second.seq,
                      i->second.sessions.size()};
}

std::vector<std::string> replica_state::owners() const {
  std::vector<std::string> out;
  out.reserve(owners_.size());
  for (auto& kvp : owners_)
    out.push_back(kvp.first);
  return out;
}

std::vector<replica_session>
replica_state::sessions(const std::string& owner) const {
  if (auto i = owners_.find(owner); i != owners_.end())
    return i->second.sessions.sorted();
  return {};
}

uint64_t replica_state::digest() const {
  uint64_t sum = 0;
  for (auto& [owner, copy] : owners_)
    sum += owner_digest(owner, copy.incarnation) + copy.digest;
  return sum;
}

} // namespace presence::cluster

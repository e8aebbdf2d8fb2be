#include "cluster/replica_state.hpp"

#include "cluster/view_digest.hpp"

namespace presence::cluster {

namespace {

void add_change(view_changes& out, change_kind kind, change_reason why,
                const std::string& owner, incarnation_id incarnation,
                const replica_session& x) {
  out.push_back(view_change{kind, why, owner, x, incarnation});
}

} // namespace

apply_result replica_state::apply(const owner_delta& x) {
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
  for (auto& op : x.ops) {
    session_key key{op.session.login_id, op.session.token};
    if (op.kind == op_kind::upsert) {
      auto [j, added] = copy.sessions.try_emplace(std::move(key), op.session);
      if (added) {
        ++sessions_;
        add_change(out, change_kind::joined, change_reason::delta, x.owner,
                   x.incarnation, j->second);
      } else if (j->second != op.session) {
        j->second = op.session;
        add_change(out, change_kind::updated, change_reason::delta, x.owner,
                   x.incarnation, j->second);
      }
    } else if (auto j = copy.sessions.find(key); j != copy.sessions.end()) {
      add_change(out, change_kind::left, change_reason::delta, x.owner,
                 x.incarnation, j->second);
      copy.sessions.erase(j);
      --sessions_;
    }
  }
  copy.seq = x.seq;
  return result;
}

apply_result replica_state::apply(const snapshot_chunk& x) {
  auto j = assembling_.find(x.owner);
  if (x.index == 0) {
    if (j == assembling_.end())
      j = assembling_.emplace(x.owner, assembly{}).first;
    j->second = assembly{x.incarnation, x.seq, 0, {}};
  } else if (j == assembling_.end() || j->second.incarnation != x.incarnation
             || j->second.seq != x.seq || j->second.next_index != x.index) {
    // A lost or reordered chunk: the snapshot cannot complete.
    if (j != assembling_.end())
      assembling_.erase(j);
    return {apply_status::needs_snapshot, {}};
  }
  auto& snap = j->second;
  for (auto& s : x.sessions)
    snap.sessions.insert_or_assign(session_key{s.login_id, s.token}, s);
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
    for (auto& [key, s] : snap.sessions)
      add_change(out, change_kind::joined, change_reason::snapshot, owner,
                 snap.incarnation, s);
    sessions_ += snap.sessions.size();
    owners_.emplace(owner, owner_copy{snap.incarnation, snap.seq,
                                      std::move(snap.sessions)});
    return result;
  }
  auto& copy = i->second;
  if (copy.incarnation != snap.incarnation) {
    // A restarted owner: its old sessions died with it, even those whose
    // (login_id, token) came back; no diff across incarnations.
    for (auto& [key, s] : copy.sessions)
      add_change(out, change_kind::left, change_reason::new_incarnation, owner,
                 copy.incarnation, s);
    for (auto& [key, s] : snap.sessions)
      add_change(out, change_kind::joined, change_reason::new_incarnation,
                 owner, snap.incarnation, s);
  } else if (snap.seq < copy.seq) {
    return {apply_status::ignored, {}};
  } else {
    // Both maps are ordered by key: one merge pass gives the diff.
    auto a = copy.sessions.begin();
    auto b = snap.sessions.begin();
    while (a != copy.sessions.end() || b != snap.sessions.end()) {
      if (b == snap.sessions.end()
          || (a != copy.sessions.end() && a->first < b->first)) {
        add_change(out, change_kind::left, change_reason::snapshot, owner,
                   copy.incarnation, a->second);
        ++a;
      } else if (a == copy.sessions.end() || b->first < a->first) {
        add_change(out, change_kind::joined, change_reason::snapshot, owner,
                   snap.incarnation, b->second);
        ++b;
      } else {
        if (a->second != b->second)
          add_change(out, change_kind::updated, change_reason::snapshot, owner,
                     snap.incarnation, b->second);
        ++a;
        ++b;
      }
    }
  }
  sessions_ = sessions_ - copy.sessions.size() + snap.sessions.size();
  copy = owner_copy{snap.incarnation, snap.seq, std::move(snap.sessions)};
  return result;
}

view_changes replica_state::drop_owner(const std::string& owner,
                                       change_reason why) {
  view_changes out;
  assembling_.erase(owner);
  auto i = owners_.find(owner);
  if (i == owners_.end())
    return out;
  for (auto& [key, s] : i->second.sessions)
    add_change(out, change_kind::left, why, owner, i->second.incarnation, s);
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
  for (auto& [owner, copy] : owners_) {
    // Keys order by login id first: its sessions are one range.
    for (auto j = copy.sessions.lower_bound(session_key{login_id, {}});
         j != copy.sessions.end() && j->first.first == login_id; ++j)
      out.push_back(owned_session{owner, copy.incarnation, j->second});
  }
  return out;
}

std::vector<owned_session>
replica_state::holders(const std::string& login_id, const std::string& token,
                       const std::string& except) const {
  std::vector<owned_session> out;
  session_key key{login_id, token};
  for (auto& [owner, copy] : owners_) {
    if (owner == except)
      continue;
    if (auto j = copy.sessions.find(key); j != copy.sessions.end())
      out.push_back(owned_session{owner, copy.incarnation, j->second});
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
  std::vector<replica_session> out;
  if (auto i = owners_.find(owner); i != owners_.end()) {
    out.reserve(i->second.sessions.size());
    for (auto& kvp : i->second.sessions)
      out.push_back(kvp.second);
  }
  return out;
}

uint64_t replica_state::digest() const {
  uint64_t sum = 0;
  for (auto& [owner, copy] : owners_) {
    sum += owner_digest(owner, copy.incarnation);
    for (auto& kvp : copy.sessions)
      sum += session_digest(owner, copy.incarnation, kvp.second);
  }
  return sum;
}

} // namespace presence::cluster

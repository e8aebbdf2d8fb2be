#include "registry/user_table.hpp"

#include <functional>

#include "registry/parked_op.hpp"

namespace presence::detail {

namespace {

constexpr size_t npos = static_cast<size_t>(-1);

using tagged_slot::make;
using tagged_slot::pos_of;
using tagged_slot::tag_of;
using tagged_slot::tag_of_hash;

} // namespace

session_record session_record::from(online_user&& x) {
  session_record result{std::move(x.token), std::move(x.device),
                        x.connect_time, x.last_activity, nullptr};
  if (!x.metadata.empty())
    result.metadata = std::make_unique<metadata_map>(std::move(x.metadata));
  return result;
}

online_user session_record::to_online_user(const std::string& login_id,
                                            const std::string& node) const {
  return online_user{login_id,
                     token,
                     device,
                     connect_time,
                     last_activity,
                     metadata ? *metadata : metadata_map{},
                     node};
}

std::vector<online_user>
user_entry::online_users(const node_names& nodes) const {
  std::vector<online_user> result;
  result.reserve(sessions.size());
  sessions.for_each_in_order([&](const session_record& s) {
    result.push_back(s.to_online_user(login_id, nodes.name_of(s.owner)));
  });
  return result;
}

user_table::user_table() : index_(1024, 0) {
}

user_table::~user_table() = default;

size_t user_table::hash(const std::string& login_id) noexcept {
  return login_hash_of(login_id);
}

size_t user_table::find_slot(const std::string& login_id, size_t hash) const {
  auto mask = index_.size() - 1;
  for (auto slot = slot_of_hash(hash);; slot = (slot + 1) & mask) {
    auto v = index_[slot];
    if (v == 0)
      return npos;
    if (tag_of(v) != tag_of_hash(hash))
      continue;
    auto& e = entries_[pos_of(v)];
    if (e.hash == hash && e.login_id == login_id)
      return slot;
  }
}

user_entry* user_table::find(const std::string& login_id) {
  return find(login_id, login_hash_of(login_id));
}

user_entry* user_table::find(const std::string& login_id, size_t hash) {
  auto slot = find_slot(login_id, hash);
  return slot == npos ? nullptr : &entries_[pos_of(index_[slot])];
}

const user_entry* user_table::find(const std::string& login_id) const {
  auto slot = find_slot(login_id, login_hash_of(login_id));
  return slot == npos ? nullptr : &entries_[pos_of(index_[slot])];
}

void user_table::grow() {
  decltype(index_) fresh(index_.size() * 2, 0);
  index_.swap(fresh);
  auto mask = index_.size() - 1;
  for (size_t i = 0; i < entries_.size(); ++i) {
    auto slot = slot_of_hash(entries_[i].hash);
    while (index_[slot] != 0)
      slot = (slot + 1) & mask;
    index_[slot] = make(entries_[i].hash, i);
  }
}

user_entry& user_table::insert(std::string login_id, size_t hash,
                               user_actor actor, session_record first) {
  // Keep the load factor at most 1/2 so that probes stay short.
  if ((entries_.size() + 1) * 2 > index_.size())
    grow();
  auto mask = index_.size() - 1;
  auto slot = slot_of_hash(hash);
  while (index_[slot] != 0)
    slot = (slot + 1) & mask;
  sessions_ += 1;
  entries_.push_back(
    user_entry{std::move(login_id), hash, std::move(actor), {}, 0, false,
               nullptr});
  entries_.back().sessions.reserve(1);
  entries_.back().sessions.push_back(std::move(first));
  index_[slot] = make(hash, entries_.size() - 1);
  return entries_.back();
}

void user_table::erase(user_entry& entry) {
  auto pos = static_cast<size_t>(&entry - entries_.data());
  sessions_ -= entry.sessions.size();
  if (entry.sessions.empty())
    --empty_entries_;
  // Remove the slot (backward-shift deletion, no tombstones).
  tagged_slot::erase_at(index_, find_slot(entry.login_id, entry.hash),
                        [this](uint64_t slot) {
                          return slot_of_hash(entries_[pos_of(slot)].hash);
                        });
  // Fill the vector's hole with its last entry and repoint that entry's slot.
  auto last = entries_.size() - 1;
  if (pos != last) {
    auto slot = find_slot(entries_[last].login_id, entries_[last].hash);
    entries_[pos] = std::move(entries_[last]);
    index_[slot] = make(entries_[pos].hash, pos);
  }
  entries_.pop_back();
  // The next erase moves the new last entry and looks up its slot: a cold
  // load in a mass logout unless started now (docs/performance.md).
  if (!entries_.empty())
    __builtin_prefetch(&index_[slot_of_hash(entries_.back().hash)]);
}

std::vector<std::string> user_table::online_ids() const {
  std::vector<std::string> result;
  result.reserve(user_count());
  for (auto& e : entries_)
    if (!e.sessions.empty())
      result.push_back(e.login_id);
  return result;
}

std::vector<user_actor> presence_view::take_actors() {
  std::unique_lock<std::shared_mutex> guard{mtx};
  std::vector<user_actor> handles;
  handles.reserve(table.entries().size() + retiring.size());
  for (auto& e : table.entries())
    if (e.actor)
      handles.push_back(std::move(e.actor));
  for (auto& a : retiring)
    handles.push_back(std::move(a));
  retiring.clear();
  return handles;
}

presence_stats presence_view::stats() const {
  auto get = [](const std::atomic<uint64_t>& x) {
    return x.load(std::memory_order_relaxed);
  };
  presence_stats r;
  r.users = table.user_count();
  r.sessions = table.session_count();
  r.pushes = get(counters.pushes);
  r.deliveries = get(counters.deliveries);
  r.buffered = get(counters.buffered);
  r.buffer_size = get(counters.buffer_size);
  r.drops = get(counters.drops);
  r.expiries = get(counters.expiries);
  r.kicks = get(counters.kicks);
  r.replaced = get(counters.replaced);
  r.events = get(counters.events);
  r.rejected = get(counters.rejected);
  r.nodes = get(counters.nodes);
  r.peers = peers;
  r.view_digest = view_digest;
  if (nodes.remote_count() == 0) {
    r.local_users = r.users;
    r.local_sessions = r.sessions;
    return r;
  }
  for (auto& e : table.entries()) {
    uint64_t n = 0;
    for (auto& s : e.sessions)
      n += s.owner == local_owner ? 1 : 0;
    r.local_sessions += n;
    r.local_users += n > 0 ? 1 : 0;
  }
  return r;
}

} // namespace presence::detail

#include "registry/forwarded_writes.hpp"

#include <algorithm>

namespace presence::detail {

uint64_t forwarded_writes::open(reply_target&& target, answer_kind kind,
                                uint32_t parts) {
  auto id = next_id_++;
  auto& st = open_[id];
  st.waiting = std::max<uint32_t>(parts, 1);
  st.out.target = std::move(target);
  st.out.kind = kind;
  return id;
}

bool forwarded_writes::add(uint64_t id, part&& x, merged& out) {
  auto i = open_.find(id);
  if (i == open_.end())
    return false;
  auto& st = i->second;
  merge(st, std::move(x));
  if (--st.waiting > 0)
    return false;
  out = std::move(st.out);
  if (st.succeeded > 0)
    out.err = caf::error{};
  open_.erase(i);
  return true;
}

void forwarded_writes::merge(state& st, part&& x) {
  auto& out = st.out;
  if (x.err) {
    if (!out.err)
      out.err = std::move(x.err);
    return;
  }
  auto first = st.succeeded++ == 0;
  if (out.kind == answer_kind::change) {
    auto removed = (first ? 0 : out.change.removed) + x.change.removed;
    auto left = first ? x.change.sessions
                      : std::min(out.change.sessions, x.change.sessions);
    if (removed > 0)
      out.change.status = left == 0 ? change_status::user_offline
                                    : change_status::left;
    else if (first)
      out.change.status = x.change.status;
    else if (out.change.status == change_status::unknown_user)
      out.change.status = x.change.status; // the user had sessions there
    out.change.sessions = left;
    out.change.removed = removed;
    return;
  }
  auto& r = out.report;
  if (r.message_id.empty())
    r.message_id = std::move(x.report.message_id);
  r.users_reached = std::max(r.users_reached, x.report.users_reached);
  r.users_targeted = std::max(r.users_targeted, x.report.users_targeted);
  r.sessions_reached += x.report.sessions_reached;
  r.buffered += x.report.buffered;
  r.dropped += x.report.dropped;
  for (auto& f : x.report.failed_pushers)
    r.failed_pushers.push_back(std::move(f));
  if (first)
    r.not_online = std::move(x.report.not_online);
  if (r.users_targeted > 0)
    r.not_online.clear();
}

} // namespace presence::detail

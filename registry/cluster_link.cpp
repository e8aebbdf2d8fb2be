#include "registry/cluster_link.hpp"

#include <algorithm>
#include <mutex>

#include "memory/huge_pages.hpp"
#include "presence/error.hpp"

namespace presence::detail {

static_assert(sizeof(local_change) * cluster_link::max_batch
                < malloc_mmap_threshold,
              "a full batch of changes stays under malloc's mmap threshold");

caf::expected<local_changes> cluster_link::attach(std::string node,
                                                  caf::actor handle) {
  if (attached())
    return make_error(error::cluster_already_attached);
  if (node.empty() || !handle)
    return make_error(error::malformed_message,
                      "attach: a cluster actor needs a node name and a handle");
  if (view_.nodes.find(node) != node_names::unknown)
    return make_error(error::malformed_message,
                      "attach: node name " + node + " names a remote owner");
  {
    std::unique_lock<std::shared_mutex> guard{view_.mtx};
    view_.nodes.set_local(std::move(node));
  }
  cluster_ = std::move(handle);
  local_changes all;
  all.reserve(view_.table.session_count());
  auto& name = view_.nodes.local();
  for (auto& e : view_.table.entries())
    e.sessions.for_each_in_order([&](const session_record& s) {
      if (s.owner == local_owner)
        all.push_back(local_change{false, s.to_online_user(e.login_id, name)});
    });
  return all;
}

void cluster_link::add(const std::string& login_id, const session_record& s,
                       bool removed) {
  auto& x = pending_.emplace_back();
  x.removed = removed;
  if (removed) {
    x.session.login_id = login_id;
    x.session.token = s.token;
    x.session.node = view_.nodes.local();
  } else {
    x.session = s.to_online_user(login_id, view_.nodes.local());
  }
  if (pending_.size() >= max_batch)
    flush();
  else
    owner_.flush_later();
}

void cluster_link::flush() {
  if (pending_.empty() || !attached())
    return;
  owner_.send_changes(cluster_, std::move(pending_));
  pending_ = local_changes{};
}

void cluster_link::forward(owner_id owner, const client_op& op,
                           uint64_t write) {
  client_op copy;
  copy.kind = op.kind;
  copy.user.login_id = op.user.login_id;
  copy.user.token = op.user.token;
  copy.user.device = op.user.device;
  copy.user.metadata = op.user.metadata;
  copy.message = op.message;
  owner_.send_forward(cluster_, view_.nodes.name_of(owner), std::move(copy),
                      write);
}

void cluster_link::forward_one(owner_id owner, const client_op& op,
                               reply_target&& rt,
                               forwarded_writes::answer_kind kind) {
  auto id = replies_.forwards.open(std::move(rt), kind, 1);
  forward(owner, op, id);
}

std::vector<owner_id> cluster_link::remote_owners(const user_entry& e) {
  std::vector<owner_id> result;
  for (auto& s : e.sessions)
    if (s.owner != local_owner
        && std::find(result.begin(), result.end(), s.owner) == result.end())
      result.push_back(s.owner);
  return result;
}

} // namespace presence::detail

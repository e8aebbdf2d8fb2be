#pragma once

// The registry's side of its node's cluster actor (cluster_feed.hpp is the
// contract; docs/design.md, "The registry and the cluster actor"): whether
// one is attached, the changes of this node's own sessions waiting for the
// next flush, and the writes sent to other owners. Plain class: sending is
// the callee's job; session_changes reports every change of a local session
// here and asks it where a write goes.

#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>

#include "presence/detail/cluster_feed.hpp"
#include "presence/detail/protocol.hpp"
#include "registry/client_replies.hpp"
#include "registry/user_table.hpp"

namespace presence::detail {

class cluster_link {
public:
  class callee {
  public:
    virtual ~callee() = default;
    /// Sends (local_changes_atom, xs) to the cluster actor `to`.
    virtual void send_changes(const caf::actor& to, local_changes&& xs) = 0;
    /// Sends (forward_atom, node, op) to the cluster actor `to` as a
    /// request; its answer goes to client_replies::complete_part(`part`).
    virtual void send_forward(const caf::actor& to, const std::string& node,
                              client_op&& op, uint64_t part)
      = 0;
    /// Changes wait: call flush() when the mailbox runs dry.
    virtual void flush_later() = 0;
  };

  cluster_link(callee& owner, presence_view& view, client_replies& replies)
    : owner_(owner), view_(view), replies_(replies) {
  }

  bool attached() const noexcept {
    return static_cast<bool>(cluster_);
  }

  /// The attached cluster actor (null before attach).
  const caf::actor& cluster() const noexcept {
    return cluster_;
  }

  /// Attaches the cluster actor `handle` of node `node`: names this node's
  /// sessions after it and returns every one of them as an upsert. Fails
  /// with `already_attached` on a second call and `malformed_message` on an
  /// empty name, a null handle or a name another owner has.
  caf::expected<local_changes> attach(std::string node, caf::actor handle);

  /// The attached cluster actor is gone: forget it and what waited for it,
  /// so that a new one (start_cluster restarts a killed one) can attach.
  void detach() {
    cluster_ = nullptr;
    pending_.clear();
  }

  /// At most this many changes go in one message: one vector of a whole
  /// burst (a client batch of logins), freed, raised malloc's mmap threshold,
  /// or, mapped apart, faulted in fresh pages every time. These stay under
  /// the threshold and make one delta (cluster::ops_per_sent_delta).
  static constexpr size_t max_batch = 512;

  /// A session this node owns joined or changed (`removed`: left). Kept for
  /// the next flush, or sent at once when max_batch are waiting; nothing
  /// before attach.
  void changed(const std::string& login_id, const session_record& s,
               bool removed) {
    if (attached() && s.owner == local_owner)
      add(login_id, s, removed);
  }

  /// Sends the changes collected since the last flush, in order. The
  /// registry calls it before any client results go out, so the answer to
  /// a forwarded write follows its delta.
  void flush();

  /// Sends `op` to the node that owns `owner`'s sessions as one part of
  /// forwarded write `write` (forwarded_writes). The op keeps only what the
  /// owner needs (its caller's ticket is not sent).
  void forward(owner_id owner, const client_op& op, uint64_t write);

  /// Forwards a write on one session to its owner; `rt` is answered with
  /// the owner's answer.
  void forward_one(owner_id owner, const client_op& op, reply_target&& rt,
                   forwarded_writes::answer_kind kind);

  /// The other owners of `e`'s sessions, each once.
  static std::vector<owner_id> remote_owners(const user_entry& e);

private:
  void add(const std::string& login_id, const session_record& s,
           bool removed);

  callee& owner_;
  presence_view& view_;
  client_replies& replies_;
  caf::actor cluster_;
  local_changes pending_;
};

} // namespace presence::detail

#pragma once

// The push pipeline: pushes routed to sessions, gathered into batches per
// owner, sent through that owner's delivery sink, and settled once everyone
// the batch went to has answered (or timed out): then each push's report is
// complete and goes to its caller (client_replies).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/error.hpp>
#include <caf/timespan.hpp>

#include "presence/delivery_batch.hpp"
#include "presence/detail/slab.hpp"
#include "presence/push_message.hpp"
#include "presence/results.hpp"
#include "registry/client_replies.hpp"
#include "registry/delivery_sink.hpp"
#include "registry/message_ids.hpp"
#include "registry/reply_target.hpp"
#include "registry/user_table.hpp"

namespace presence::detail {

/// A push being routed or waiting for its batches.
struct push_state {
  reply_target target;
  delivery_report report;
  push_message message;
  /// Users whose sessions span owners: each counts as reached once, whichever
  /// of its parts is accepted first (contribution::split_users).
  std::vector<bool> split_reached;
  uint32_t open_batches = 0;
  bool routed = false;

  /// Called by the slab on erase: cheaper than assigning a fresh push_state,
  /// and the strings keep their buffers for the next push.
  void reset();
};

class push_pipeline {
public:
  using time_point = caf::actor_clock::time_point;

  /// What the pipeline asks of the actor around it.
  class callee {
  public:
    virtual ~callee() = default;
    virtual time_point now() = 0;
    /// Open batches wait: call flush() when the mailbox runs dry.
    virtual void flush_later() = 0;
    /// Call expire() after `delay`.
    virtual void expire_after(caf::timespan delay) = 0;
  };

  struct config {
    /// Deliveries per batch.
    size_t batch_size = 4096;
    /// How long a sink's answers may take before they count as failed.
    caf::timespan timeout = std::chrono::seconds(5);
  };

  push_pipeline(callee& owner, client_replies& replies,
                view_counters& counters, config cfg, message_ids ids);

  /// The sink for sessions that `owner` owns (local_owner: this node's
  /// pushers). Sessions of an owner without a sink are targeted, never
  /// reached.
  void set_sink(owner_id owner, delivery_sink* sink);

  /// Whether this node's pushers take batches.
  bool local_ready() const {
    return sinks_[local_owner] != nullptr && sinks_[local_owner]->ready();
  }

  /// Whether the sink of `owner` takes batches.
  bool ready(owner_id owner) const {
    auto sink = sink_of(owner);
    return sink != nullptr && sink->ready();
  }

  /// Remote owners whose sinks take batches now, in id order.
  std::vector<owner_id> ready_remotes() const {
    std::vector<owner_id> result;
    for (owner_id id = local_owner + 1; id < sinks_.size(); ++id)
      if (ready(id))
        result.push_back(id);
    return result;
  }

  /// Whether a push to these sessions reaches anybody now: some session's
  /// owner has a ready sink.
  template <class Sessions>
  bool reaches(const Sessions& sessions) const {
    for (auto& s : sessions)
      if (ready(s.owner))
        return true;
    return false;
  }

  /// How a remote owner answered one part of a batch (remote_sink): its
  /// sessions reached, which of the part's deliveries reached their user
  /// (by position in the part; empty for a broadcast part: all of its
  /// users if `err` is not set), and its failed pushers.
  struct remote_outcome {
    caf::error err;
    std::vector<bool> reached;
    uint64_t sessions = 0;
    std::vector<pusher_failure> failures;
    /// For a part without `reached`: whether the owner reached anybody.
    bool any = true;
  };

  // -- routing ----------------------------------------------------------------

  /// Starts a push of `msg` whose report goes to `rt`; returns its id.
  uint64_t start(push_message&& msg, reply_target&& rt);

  /// Like start, but the message stays with the caller (a push to one user
  /// hands it straight to the batch: add_delivery's `held`).
  uint64_t start_keeping(push_message& msg, reply_target&& rt);

  push_state& at(uint64_t push_id) {
    return pushes_.at(push_id);
  }

  /// Adds one user's sessions to the push: each goes to its owner's batch.
  /// `only` says this is the push's only delivery, so its message can move;
  /// `held` is that message when the push does not hold it (start_keeping).
  void add_delivery(uint64_t push_id, const std::string& login_id,
                    const session_record* sessions, size_t count,
                    bool only = false, push_message* held = nullptr);

  /// A broadcast's part for every session `owner` (a remote node) has: one
  /// message to that node, whatever the table knows of its sessions.
  /// `users` are the users this part counts as reached if it succeeds (those
  /// with no session of this node and `owner` as first remote owner: each
  /// user counts once).
  void add_owner_broadcast(uint64_t push_id, owner_id owner, uint32_t users,
                           uint32_t sessions);

  /// Same for sessions this node owns, e.g. the ones a kick just removed.
  void add_local_delivery(uint64_t push_id, const std::string& login_id,
                          const session_target* sessions, size_t count,
                          bool only = false);

  /// Every delivery of the push is added: its report goes out once its
  /// batches are settled.
  void finish(uint64_t push_id);

  /// The hot path: a client's push to one user whose sessions this node owns
  /// and whose pushers are ready. No push state: the batch part carries the
  /// reply (client and ticket).
  void push_direct(push_message& msg, const reply_target& rt,
                   const std::string& login_id,
                   const session_record* sessions, size_t count);

  /// Whether every one of `count` sessions is this node's.
  static bool all_local(const session_record* sessions, size_t count) {
    for (size_t i = 0; i < count; ++i)
      if (sessions[i].owner != local_owner)
        return false;
    return true;
  }

  // -- batches ----------------------------------------------------------------

  /// Sends every open batch.
  void flush();

  /// `waiter` answered batch `batch_id` (`err` set: it failed; `pusher` is
  /// the pusher the failure names). False if the batch no longer waited for
  /// it (a late answer after a timeout, or a second one).
  bool on_answer(uint64_t batch_id, caf::actor_id waiter,
                 caf::actor_id pusher, const caf::error& err);

  /// Owner `waiter` (a remote sink) answered batch `batch_id` with one
  /// outcome per part, in the order of the batch's messages. False if the
  /// batch no longer waited for it.
  bool on_remote_answer(uint64_t batch_id, caf::actor_id waiter,
                        std::vector<remote_outcome>&& parts);

  /// Calls `f(batch, waiter)` for everyone that has not answered a batch
  /// past its deadline (f calls on_answer), then asks for the next check.
  template <class F>
  void expire(F f) {
    expire_check_ = false;
    auto t = owner_.now();
    std::vector<std::pair<uint64_t, std::vector<caf::actor_id>>> expired;
    auto next = time_point::max();
    batches_.for_each_key([&](uint64_t key, batch_state& bs) {
      if (bs.deadline <= t)
        expired.emplace_back(key, bs.waiting);
      else
        next = std::min(next, bs.deadline);
    });
    for (auto& [key, waiting] : expired)
      for (auto waiter : waiting)
        f(key, waiter);
    if (next != time_point::max())
      schedule_expiry(next - t);
  }

  /// The batches that still wait for `waiter`.
  std::vector<uint64_t> waiting_on(caf::actor_id waiter);

  /// Calls `f(target)` for every push still waiting for its report.
  template <class F>
  void for_each_target(F f) {
    pushes_.for_each([&](push_state& ps) { f(ps.target); });
  }

  size_t open_pushes() const noexcept {
    return pushes_.size();
  }

  size_t open_batches() const noexcept {
    return batches_.size();
  }

private:
  // One push's share of a batch. A client's push to one online user (the hot
  // path) has no push_state: the part carries the reply and message id
  // (docs/performance.md).
  struct contribution {
    uint64_t push = 0;
    uint32_t users = 0;
    uint32_t sessions = 0;
    uint32_t client = 0;
    uint64_t ticket = 0;
    std::string message_id;
    /// Users of this part whose other sessions went to other owners: their
    /// index into push_state::split_reached and the position of their
    /// delivery in this part. Null for most parts.
    std::unique_ptr<std::vector<std::pair<uint32_t, uint32_t>>> split_users;
    /// Positions of this part's deliveries so far (split or not).
    uint32_t deliveries = 0;

    static constexpr uint64_t direct = 0; // slab keys are never 0
  };

  /// A batch sent, waiting for answers.
  struct batch_state {
    std::vector<contribution> parts;
    std::vector<caf::actor_id> waiting;
    std::vector<pusher_failure> failures;
    time_point deadline;
    bool any_ok = false;
  };

  /// The batch being filled for one owner, and which pushes it carries.
  struct open_batch {
    delivery_batch batch;
    std::vector<contribution> parts;
  };

  /// `split`: the user's index in push_state::split_reached, or `no_split`
  /// (the user counts in this part).
  template <class Session>
  void add_to(owner_id owner, uint64_t push_id, push_state& ps,
              const std::string& login_id, const Session* sessions,
              size_t count, uint32_t split, bool only, push_message* held);

  static constexpr uint32_t no_split = UINT32_MAX;

  template <class Session>
  void append(owner_id owner, const std::string& login_id,
              const Session* sessions, size_t count);

  void send(owner_id owner);
  /// Credits one part of a settled batch to its push.
  void credit(contribution& part, bool ok, uint64_t users, uint64_t sessions,
              const std::vector<pusher_failure>& failures,
              const std::vector<bool>* reached);
  void settle(std::vector<contribution>& parts, bool ok,
              const std::vector<pusher_failure>& failures);
  void finalize(uint64_t push_id, push_state& ps);
  void schedule_expiry(caf::timespan delay);

  /// Asks the actor for a flush once per flush, not once per push.
  void want_flush() {
    if (!flush_asked_) {
      flush_asked_ = true;
      owner_.flush_later();
    }
  }

  delivery_sink* sink_of(owner_id owner) const {
    return owner < sinks_.size() ? sinks_[owner] : nullptr;
  }

  open_batch& open_of(owner_id owner) {
    if (owner >= open_.size())
      open_.resize(owner + 1);
    return open_[owner];
  }

  callee& owner_;
  client_replies& replies_;
  view_counters& counters_;
  config cfg_;
  message_ids ids_;
  std::vector<delivery_sink*> sinks_;
  std::vector<open_batch> open_;
  slab<push_state> pushes_;
  slab<batch_state> batches_;
  bool expire_check_ = false;
  bool flush_asked_ = false;
};

} // namespace presence::detail

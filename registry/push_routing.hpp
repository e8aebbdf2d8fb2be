#pragma once

// Which sessions a push goes to: the table's online users (a push to one,
// to many, to everyone), a kick's sessions (taken offline first, then sent
// their KickOut), and the offline buffer for users a push that asked to be
// kept did not find online (delivered when they come back). The deliveries
// go to the push pipeline. Plain class: timers are the callee's job.

#include <memory>
#include <string>
#include <vector>

#include <caf/actor_clock.hpp>

#include "presence/detail/protocol.hpp"
#include "registry/offline_buffer.hpp"
#include "registry/push_pipeline.hpp"
#include "registry/session_changes.hpp"
#include "registry/user_table.hpp"

namespace presence::detail {

class push_routing {
public:
  using time_point = caf::actor_clock::time_point;

  class callee {
  public:
    virtual ~callee() = default;
    virtual time_point now() = 0;
    /// Call on_sweep() after `delay`.
    virtual void sweep_after(caf::timespan delay) = 0;
  };

  /// `buffer` may be null: no offline buffer (`presence.buffer-per-user` 0).
  push_routing(callee& owner, presence_view& view, session_changes& changes,
               push_pipeline& pipeline, std::unique_ptr<offline_buffer> buffer);

  void push_user(client_op&& op, reply_target&& rt);

  /// Uses each user's sessions as the table has them when the push is
  /// routed (no parking across users).
  void push_users(client_op&& op, reply_target&& rt);

  /// This node's sessions get their deliveries; every other linked node
  /// gets the message once and delivers it to its own sessions.
  void broadcast(client_op&& op, reply_target&& rt);

  /// A push another node routed here (origin cluster_peer): push_users (or
  /// push_user) or broadcast, delivered to this node's own sessions only,
  /// never forwarded, never buffered. Its message id and timestamp are the
  /// origin's.
  void push_routed(client_op&& op, reply_target&& rt);

  /// kick (every session), kick_session (one token) and kick_device (one
  /// device type). The KickOut batch captures the sessions first; they go
  /// offline now, whatever the pushers answer.
  void kick(client_op&& op, reply_target&& rt);

  /// A login policy replaced these sessions: a KickOut, reason "replaced".
  void kick_replaced(const std::string& login_id,
                     std::vector<session_target>&& targets);

  /// The user came online: its buffered messages go out, oldest first, each
  /// as a push of its own. With no pusher subscribed they stay buffered.
  void came_online(user_entry& e);

  /// The first pusher subscribed: messages for users who came online while
  /// no pusher could take them go out.
  void pushers_ready();

  /// Drops buffered messages past their time to live.
  void on_sweep();

  const offline_buffer* buffer() const noexcept {
    return buffer_.get();
  }

private:
  void keep_for_offline(push_state& ps, const std::string& login_id,
                        const push_message& msg);
  /// Publishes what a buffer operation changed since `drops_before`.
  void note_buffer(uint64_t drops_before);
  void schedule_sweep();
  /// Adds a delivery of `e`'s sessions on this node to the push; false if
  /// it has none here.
  bool deliver_local(uint64_t push_id, const user_entry& e);

  callee& owner_;
  presence_view& view_;
  session_changes& changes_;
  push_pipeline& pipeline_;
  std::unique_ptr<offline_buffer> buffer_;
  bool sweep_scheduled_ = false;
  /// This node's targets of a user whose sessions span nodes (reused).
  std::vector<session_target> local_;
};

} // namespace presence::detail

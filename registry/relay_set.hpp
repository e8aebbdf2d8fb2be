#pragma once

// This node's pushers as the push pipeline's local delivery sink. Each pusher
// gets its batches through a relay actor (actors/pusher_relay.hpp) that makes
// the requests, so that a pusher that stops answering pins response handlers
// in a relay the registry can replace, not in the registry. A pusher has one
// current relay; a replaced or unsubscribed one drains (gets no new batches)
// and is told to exit once no batch waits on it (docs/design.md, "The push
// pipeline").

#include <cstdint>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>

#include "presence/actor_interfaces.hpp"
#include "registry/delivery_sink.hpp"

namespace presence::detail {

class push_pipeline;

class relay_set final : public delivery_sink {
public:
  /// What the relays need of the actor around them.
  class callee {
  public:
    virtual ~callee() = default;
    /// A new relay to `pusher`; with `await_go` it waits for its
    /// predecessor's go before it requests anything.
    virtual caf::actor spawn_relay(const pusher_actor& pusher, bool await_go)
      = 0;
    /// Sends `msg` to `relay` (a batch, or a handover to a successor).
    virtual void send_to(const caf::actor& relay, const caf::message& msg) = 0;
    /// Tells `relay` to exit after what it was sent.
    virtual void stop(const caf::actor& relay) = 0;
  };

  /// A relay that holds this many timed-out batches is replaced: a pusher
  /// that stopped answering pins at most about this many response handlers
  /// per relay, plus the batches of one timeout period.
  static constexpr uint32_t max_held_batches = 1024;

  relay_set(callee& owner, push_pipeline& pipeline)
    : owner_(owner), pipeline_(pipeline) {
  }

  relay_set(const relay_set&) = delete;
  relay_set& operator=(const relay_set&) = delete;

  /// Gives pusher `p` a new current relay. If an older relay of `p` still
  /// drains, the new one starts only after the old one handed on everything
  /// it was sent: batches reach a pusher in the order they were sent.
  void add(const pusher_actor& p);

  /// The pusher's current relay gets no new batches; it exits once none
  /// waits on it. With `successor`, a new relay takes over.
  void drain(caf::actor_id pusher_id, bool successor);

  /// Relay `relay_id` reports its pusher's answer to a batch.
  void on_answer(caf::actor_id relay_id, uint64_t batch_id,
                 const caf::error& err);

  /// The pipeline's timeout check: pushers that did not answer in time fail
  /// their batches; a relay that holds too many is replaced.
  void expire();

  /// A pusher died: it never answers the batches it holds (CAF bounces only
  /// requests still in its mailbox), so they fail now, and its relays exit.
  void on_pusher_down(caf::actor_id pusher_id, const caf::error& why);

  // -- delivery_sink ----------------------------------------------------------

  void send(const caf::message& batch,
            std::vector<caf::actor_id>& waiting) override;

  // -- inspection (tests) -----------------------------------------------------

  struct relay_entry {
    caf::actor relay;
    caf::actor_id id = 0;
    pusher_actor pusher;
    caf::actor_id pusher_id = 0;
    /// Batches sent through it that still wait for its pusher's answer.
    uint32_t open = 0;
    /// Batches that timed out here and that the pusher has not answered
    /// since: the relay holds a response handler for each.
    uint32_t held = 0;
    bool draining = false;
    /// A newer relay of the same pusher waits for this one's go.
    bool has_successor = false;
  };

  const std::vector<relay_entry>& relays() const noexcept {
    return relays_;
  }

  relay_entry* find(caf::actor_id id);

private:
  /// Records a pusher's answer; false if the batch no longer waited for it.
  bool answer(relay_entry& r, uint64_t batch_id, const caf::error& err);
  void drop(caf::actor_id id);
  /// Replaces relays that hold too many timed-out batches; lets drained
  /// relays with nothing open exit.
  void tidy();

  callee& owner_;
  push_pipeline& pipeline_;
  std::vector<relay_entry> relays_;
  /// Relays not draining: one per subscribed pusher. Ready while above 0.
  size_t current_ = 0;
};

} // namespace presence::detail

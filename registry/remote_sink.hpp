#pragma once

// The delivery sink of one remote owner node (docs/design.md, "Pushes across
// nodes"). The pipeline fills one open batch per owner; this sink turns the
// owner's batch into routed pushes, one per push in it: the message once plus
// the login ids (split to stay within the caps), each sent to the cluster
// actor for that node under a ticket. The owner delivers to its own sessions
// of those users and answers with its partial report; once every request
// of a batch has answered (or failed), the sink hands the pipeline one
// outcome per part. Plain class: sending is the callee's job.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>

#include "presence/detail/protocol.hpp"
#include "registry/delivery_sink.hpp"
#include "registry/owner.hpp"
#include "registry/push_pipeline.hpp"

namespace presence::detail {

class remote_sink final : public delivery_sink {
public:
  class callee {
  public:
    virtual ~callee() = default;
    /// Sends (route_atom, node, op) to the attached cluster actor, `op`
    /// carrying `ticket`; its answer (or failure) goes to on_answer(`ticket`)
    /// of the sink of `owner`.
    virtual void send_route(owner_id owner, const std::string& node,
                            client_op&& op, uint64_t ticket)
      = 0;
  };

  /// What one routed push may hold: BASP frames have a 32-bit length, and a
  /// peer must never have to take one huge message.
  struct caps {
    /// Login ids per routed push.
    size_t max_ids = 1024;
    /// Estimated serialized bytes per routed push (a single login id with a
    /// message larger than this still goes, alone).
    size_t max_bytes = 1024 * 1024;
  };

  remote_sink(callee& owner, push_pipeline& pipeline, owner_id id,
              std::string node, caps limits);

  remote_sink(const remote_sink&) = delete;
  remote_sink& operator=(const remote_sink&) = delete;

  /// The id the pipeline's batches wait on: no actor's id (those count up
  /// from 1), one per owner.
  caf::actor_id waiter() const noexcept {
    return UINT64_MAX - id_;
  }

  owner_id id() const noexcept {
    return id_;
  }

  const std::string& node() const noexcept {
    return node_;
  }

  /// The node is linked (and a cluster actor attached): batches go out.
  /// While down, pushes target its sessions but reach none of them.
  void set_up(bool up) {
    set_ready(up);
  }

  /// The owner's answer to routed push `ticket` (`r.err` set: it failed).
  /// A stray or second answer changes nothing.
  void on_answer(uint64_t ticket, op_result&& r);

  /// Fails every routed push still waiting (the cluster actor went away).
  void fail_all(const caf::error& err);

  /// Routed pushes waiting for their answer.
  size_t open_requests() const noexcept {
    return requests_.size();
  }

  // -- delivery_sink ----------------------------------------------------------

  void send(const caf::message& batch,
            std::vector<caf::actor_id>& waiting) override;

  void send_broadcast(const push_message& msg, uint64_t batch_id,
                      std::vector<caf::actor_id>& waiting) override;

private:
  /// One routed push: deliveries [first, first + login_ids.size()) of part
  /// `part` of batch `batch`.
  struct request {
    uint64_t batch = 0;
    uint32_t part = 0;
    uint32_t first = 0;
    std::vector<std::string> login_ids;
  };

  struct open_batch {
    std::vector<push_pipeline::remote_outcome> parts;
    uint32_t waiting = 0;
  };

  void route(uint64_t batch, uint32_t part, uint32_t first, client_op&& op);
  void finish(uint64_t batch, uint32_t part, request&& req, op_result&& r);

  callee& owner_;
  push_pipeline& pipeline_;
  owner_id id_;
  std::string node_;
  caps caps_;
  uint64_t next_ticket_ = 1;
  std::unordered_map<uint64_t, request> requests_;
  std::unordered_map<uint64_t, open_batch> batches_;
};

} // namespace presence::detail

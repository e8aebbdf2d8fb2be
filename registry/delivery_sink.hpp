#pragma once

// Where the push pipeline sends a full batch of deliveries. This node's
// pushers (relay_set) take the batches for the sessions it owns; a cluster
// adds one sink per peer node for the sessions that node owns.

#include <cstdint>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/message.hpp>

#include "presence/push_message.hpp"
#include "registry/owner.hpp"

namespace presence::detail {

class delivery_sink {
public:
  virtual ~delivery_sink() = default;

  /// Whether a batch sent now reaches anybody. A push to sessions whose sink
  /// is not ready targets them but reaches nobody. A plain flag the sink
  /// keeps: every push asks.
  bool ready() const noexcept {
    return ready_;
  }

  /// Sends `batch` (a `deliver_atom` message) and appends who must answer it
  /// to `waiting`: each answers through push_pipeline::on_answer, later or
  /// (a sink that fails at once) within this call.
  virtual void send(const caf::message& batch,
                    std::vector<caf::actor_id>& waiting)
    = 0;

  /// Sends a broadcast of `msg` to every session the sink's node owns, as
  /// batch `batch_id`; appends who must answer to `waiting`. Only a remote
  /// node's sink takes these (one message per node, not per user): the
  /// default takes none, which settles the part as not reached.
  virtual void send_broadcast(const push_message& msg, uint64_t batch_id,
                              std::vector<caf::actor_id>& waiting) {
    static_cast<void>(msg);
    static_cast<void>(batch_id);
    static_cast<void>(waiting);
  }

protected:
  void set_ready(bool x) noexcept {
    ready_ = x;
  }

private:
  bool ready_ = false;
};

} // namespace presence::detail

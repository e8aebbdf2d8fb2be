#pragma once

// Where the push pipeline sends a full batch of deliveries. This node's
// pushers (relay_set) take the batches for the sessions it owns; a cluster
// adds one sink per peer node for the sessions that node owns.

#include <cstdint>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/message.hpp>

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

protected:
  void set_ready(bool x) noexcept {
    ready_ = x;
  }

private:
  bool ready_ = false;
};

} // namespace presence::detail

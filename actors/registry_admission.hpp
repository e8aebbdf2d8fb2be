#pragma once

// Which messages the registry takes, and from whom (docs/design.md,
// "Validation and the registry's entry points"): timer and flush atoms only
// from itself, an idle-check answer only from a user actor, a batch only from
// the actor that receives its results; the cluster messages only from the
// attached cluster actor of this node. Whatever it refuses is counted in
// presence_stats::rejected and, if it is a request, answered with
// `malformed_message`.

#include <atomic>
#include <string>

#include <caf/actor_addr.hpp>
#include <caf/fwd.hpp>
#include <caf/optional.hpp>

#include "presence/detail/protocol.hpp"
#include "presence/validation.hpp"

namespace presence::detail {

struct view_counters;

class registry_admission {
public:
  registry_admission() = default;

  registry_admission(caf::local_actor* self, view_counters& counters,
                     const std::atomic<caf::actor_id>& own_client)
    : self_(self), counters_(&counters), own_client_(&own_client) {
  }

  /// Counts a rejected or ignored message.
  void count_rejected();

  /// Rejects the current message: counted, and answered with
  /// `malformed_message` if it is a request. A one-way message gets no
  /// answer: an error sent as a message would kill a sender that has CAF's
  /// default error handler.
  void reject(std::string what);

  /// Whether the current message comes from the registry itself (timers and
  /// flushes: from anyone else they would run early; a stray sweep with the
  /// offline buffer off once dereferenced a null buffer). Rejects it if not.
  bool from_self();

  /// Whether the current message comes from a local user actor.
  bool sender_is_user_actor() const;

  /// Where a batch comes from: the own facade client if it is the sender,
  /// names itself as reply address and is the client the facade installed
  /// (presence_view::own_client); another sender that names itself is
  /// foreign (its operations are validated). Anything else (no reply
  /// address, or results sent to someone other than the sender) has no
  /// origin.
  caf::optional<origin> origin_of(const client_batch& batch);

  /// Whether the current message may attach a cluster actor `handle`: the
  /// sender and the handle are actors of this node. Rejects it if not.
  bool may_attach(const caf::actor& handle);

  /// The cluster actor is attached: its batches are peer writes, and only
  /// it may send the cluster's messages.
  void set_cluster(const caf::actor& handle);

  /// Whether the current message comes from the attached cluster actor.
  /// Rejects it if not.
  bool from_cluster();

  /// Whether `sender` is the attached cluster actor (no rejection).
  bool is_cluster(const caf::strong_actor_ptr& sender) const;

private:
  caf::local_actor* self_ = nullptr;
  view_counters* counters_ = nullptr;
  const std::atomic<caf::actor_id>* own_client_ = nullptr;
  caf::actor_addr cluster_;
};

} // namespace presence::detail

#pragma once

// Where the registry's answers go. A facade client (the actor behind an
// online_manager, or any sender of a batch) gets its results in chunks: one
// message per `results_chunk` results, and whatever is left when the registry
// runs dry (flush). A typed request gets its response promise delivered.
// Plain class: sending is the callee's job.

#include <cstdint>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>

#include "presence/detail/internal_interfaces.hpp"
#include "presence/detail/protocol.hpp"
#include "presence/results.hpp"
#include "registry/forwarded_writes.hpp"
#include "registry/reply_target.hpp"

namespace presence::detail {

class client_replies {
public:
  /// What the replies ask of the actor around them.
  class callee {
  public:
    virtual ~callee() = default;
    /// Sends `out` to the client `to`.
    virtual void send_results(const client_actor& to, client_results&& out)
      = 0;
    /// Results wait: call flush() when the mailbox runs dry.
    virtual void flush_later() = 0;
  };

  /// Results go to a client in chunks of at most this many as they are
  /// produced, not only when the registry runs dry: a facade with a large
  /// window otherwise waited for one huge message and the pipeline ran in
  /// bursts (docs/performance.md).
  static constexpr size_t results_chunk = 1024;

  explicit client_replies(callee& owner) : owner_(owner) {
  }

  /// The index of the client that receives results at `reply_to`; `added`
  /// says it is new (the caller monitors it).
  uint32_t client_of(const caf::actor& reply_to, bool& added);

  /// Forgets the client with actor id `id` (it is down): results still
  /// routed to its index are dropped. False if it was no client.
  bool drop(caf::actor_id id);

  /// A new result for `ticket` of `client`; call written() once it is set.
  op_result& result(uint32_t client, uint64_t ticket) {
    auto& r = clients_[client].out.results.emplace_back();
    r.ticket = ticket;
    want_flush();
    return r;
  }

  /// Call after setting a result: sends the client's chunk once full.
  void written(uint32_t client) {
    if (clients_[client].out.results.size() >= results_chunk)
      send(clients_[client]);
  }

  void complete(reply_target& rt, const change_result& x);
  void complete(reply_target& rt, delivery_report&& x);
  void fail(reply_target& rt, caf::error err);

  /// One part of forwarded write `id` answered (its forward's op_result or
  /// error); the caller is answered once every part has.
  void complete_part(uint64_t id, forwarded_writes::part&& x);

  /// Writes other nodes apply for this one, waiting for their parts.
  forwarded_writes forwards;

  /// The client's batch is done; its emptied vector goes back with the next
  /// results, for the client to fill again (at most max_spare_batches).
  void batch_done(uint32_t client, std::vector<client_op>&& ops);

  /// Sends every client's waiting results.
  void flush();

  /// Clients known so far (a dropped one keeps its index, empty).
  size_t size() const noexcept {
    return clients_.size();
  }

private:
  struct client_entry {
    client_actor handle;
    client_results out;
  };

  void send(client_entry& c);

  /// Asks the actor for a flush once per flush, not once per result.
  void want_flush() {
    if (!flush_asked_) {
      flush_asked_ = true;
      owner_.flush_later();
    }
  }

  callee& owner_;
  std::vector<client_entry> clients_;
  std::unordered_map<caf::actor_id, uint32_t> index_;
  bool flush_asked_ = false;
};

} // namespace presence::detail

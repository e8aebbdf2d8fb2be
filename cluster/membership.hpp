#pragma once

// The nodes this node knows of: the peers it has a link to (joined through
// the handshake), their addresses and incarnations, and what the membership
// query lists. A plain class the cluster actor keeps; it decides nothing
// about sessions (replica_state does).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>

#include "cluster/handshake.hpp"
#include "cluster/peer_window.hpp"
#include "presence/cluster_members.hpp"

namespace presence::cluster {

class membership {
public:
  struct peer {
    node_address address;
    peer_state state = peer_state::down;
    /// The peer's cluster actor while its link is up.
    caf::actor handle;
    /// The peer's last announced seq (status or delta).
    uint64_t announced = 0;
    /// What this node sent it and it has not acked; stale while full.
    /// Starts afresh with each join.
    peer_window window;
  };

  /// Each peer's window holds `window_bytes` (peer-window-bytes).
  explicit membership(node_address self,
                      size_t window_bytes = peer_window::default_limit);

  const node_address& self() const noexcept {
    return self_;
  }

  /// What a join changed.
  enum class join_kind : uint8_t {
    /// A node not up before (new, or back after a loss).
    fresh,
    /// The node restarted: a new incarnation replaces the old one at once.
    new_incarnation,
    /// The same incarnation through the same actor: a second handshake of
    /// one link (both sides dialed); nothing to do.
    again,
  };

  /// The peer at `x` finished its join through `handle`.
  join_kind joined(const node_address& x, caf::actor handle);

  /// The link behind `addr` is gone: the peer's name if it was up.
  std::optional<std::string> lost(const caf::actor_addr& addr);

  /// The peer that is up (or stale) behind `addr`, else nullptr.
  peer* find(const caf::actor_addr& addr);
  peer* find(const std::string& node);

  /// The last known address of peer `node`, whatever its state, else
  /// nullptr (also for this node).
  const node_address* address_of(const std::string& node) const;

  /// An address learned from a peer's gossip. True if it is new or names a
  /// newer incarnation than known, so it is worth dialing.
  bool learn(const node_address& x);

  /// The addresses to gossip: this node's and every peer's that is up.
  std::vector<node_address> gossip() const;

  /// The peers that are up or stale.
  std::vector<const peer*> linked() const;
  std::vector<peer*> linked();

  /// Every known node, this one first, then by name. A peer whose window
  /// is stale is listed as stale.
  std::vector<member_info> members(
    const std::map<std::string, uint64_t>& applied_seq) const;

  size_t up_count() const noexcept;

private:
  node_address self_;
  size_t window_bytes_;
  std::map<std::string, peer> peers_;
  /// Node name by the actor of its current link.
  std::map<caf::actor_addr, std::string> by_actor_;
};

} // namespace presence::cluster

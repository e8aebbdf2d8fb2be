#pragma once

// Cluster nodes on CAF's io test DSL (caf/test/io_dsl.hpp): each node is an
// actor system on the deterministic test coordinator with a simulated
// network (test_multiplexer), a real registry and a cluster actor spawned by
// spawn_cluster_actor with a dial function of this harness. Nothing runs
// until drain() or tick(); time moves only by tick(). tests/cluster_dsl.cpp
// says what the DSL cannot drive.
//
// Partitions are closed connections (both ends see their connection close,
// as when a peer's kernel resets it); while a pair is cut, its probe
// (presence::cluster::address_probe, the dialer's seam) refuses the address,
// and healing lets the next dial through.

#include <catch2/catch.hpp>

#include <caf/test/unit_test.hpp>

// The DSL's checks report through Catch2.
#undef CAF_CHECK
#define CAF_CHECK(...) CHECK((__VA_ARGS__))
#undef CAF_REQUIRE
#define CAF_REQUIRE(...) REQUIRE((__VA_ARGS__))
#undef CAF_FAIL
#define CAF_FAIL(msg) FAIL(msg)
#undef CAF_MESSAGE
#define CAF_MESSAGE(msg)                                                       \
  do {                                                                         \
  } while (false)

#include <caf/test/io_dsl.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actors/cluster_actor.hpp"
#include "cluster/connect_probe.hpp"
#include "cluster/type_ids.hpp"
#include "presence/config.hpp"
#include "spawn_fn.hpp"

namespace test::dsl {

/// presence's and the cluster's messages and the middleman; heartbeats stay
/// 0 (the DSL's fixture sets them so).
struct node_config : presence::config {
  node_config() {
    load<caf::io::middleman>();
    presence::cluster::register_types(*this);
  }
};

using planet = test_node_fixture<test_coordinator_fixture<node_config>>;

/// Every node publishes on this port, again after a restart; its host name
/// is its node name.
constexpr uint16_t cluster_port = 7410;

/// The simulated tick: the cluster actor's timer interval.
constexpr caf::timespan tick_interval = std::chrono::milliseconds(250);

struct node {
  std::string name;
  std::unique_ptr<planet> p;
  caf::actor registry;
  /// Null while the node is not in the cluster.
  caf::actor cluster;
  /// One for all its starts: the test multiplexer hands a port's acceptor
  /// out again when the port is published again.
  caf::io::accept_handle acceptor;
  uint16_t port = cluster_port;
  /// Cluster actors started so far: part of the incarnation.
  uint64_t generation = 0;
};

class network {
public:
  explicit network(size_t n);

  ~network();

  network(const network&) = delete;
  network& operator=(const network&) = delete;

  size_t size() const {
    return nodes_.size();
  }

  node& at(size_t i) {
    return *nodes_[i];
  }

  const node& at(size_t i) const {
    return *nodes_[i];
  }

  /// Runs every node's actors and network traffic until nothing is left
  /// (timers aside).
  void drain();

  /// Moves every node's clock one tick forward, then drains.
  void tick();

  /// Ticks until `pred` holds, at most `max_ticks` times. True if it held.
  template <class Pred>
  bool settle(Pred pred, size_t max_ticks = 200) {
    drain();
    for (size_t i = 0; i < max_ticks; ++i) {
      if (pred())
        return true;
      tick();
    }
    return pred();
  }

  /// Starts a cluster actor on node `i` (a new incarnation), seeded with the
  /// nodes in `seeds`. Requires that it starts.
  void join(size_t i, const std::vector<size_t>& seeds);

  /// Stops node `i`'s cluster actor as stop_cluster would (its peers learn
  /// at once); the registry stays.
  void leave(size_t i);

  /// Closes the connections between `i` and `j`, and refuses dials between
  /// them until heal().
  void cut(size_t i, size_t j);

  void heal(size_t i, size_t j);

  void heal_all();

  bool is_cut(size_t i, size_t j) const;

  /// Logs a session in on node `i` (its owner) and waits for the answer.
  bool login(size_t i, const std::string& login_id, const std::string& token);

  /// Logs a session out on node `i`.
  bool logout(size_t i, const std::string& login_id, const std::string& token);

  /// The digest of node `i`'s view, if its cluster actor answers.
  std::optional<uint64_t> digest(size_t i);

  /// Names of the nodes `i` has an up link to, sorted.
  std::vector<std::string> up_peers(size_t i);

  /// The owners of login_id's sessions as node `i` sees them, sorted.
  std::vector<std::string> owners_of(size_t i, const std::string& login_id);

  /// Joined nodes all see each other up, and their digests are equal.
  bool converged();

  /// Each node's members (name, incarnation, state) and digest, for failure
  /// messages.
  std::string describe();

  /// Sends `xs` from a helper actor on node `i` to `dest`, drains, and gives
  /// the answer (none if there was none).
  template <class T, class Handle, class... Ts>
  std::optional<T> ask(size_t i, const Handle& dest, Ts... xs) {
    auto result = std::make_shared<std::optional<T>>();
    test::spawn_fn(at(i).p->sys, [=](caf::event_based_actor* self) {
      self->request(dest, std::chrono::seconds(30), xs...)
        .then([=](T& x) { *result = std::move(x); }, [](caf::error&) {});
    });
    drain();
    return *result;
  }

private:
  presence::cluster::dial_function dial_for(size_t i);

  size_t index_of(const std::string& host) const;

  struct link {
    size_t client;
    size_t server;
    caf::io::connection_handle client_hdl;
    caf::io::connection_handle server_hdl;
    std::string host;
    uint16_t port;
  };

  std::vector<std::unique_ptr<node>> nodes_;
  std::set<std::pair<size_t, size_t>> cuts_;
  std::vector<link> links_;
  int64_t next_hdl_ = 0;
};

} // namespace test::dsl

#pragma once

// The cluster benchmark node's push commands (rows C3, C4, C5 and C8's
// load): pushes from this node, and a counting pusher that counts (and, in
// latency mode, times) what reaches this node's sessions. One answer line
// per command; times are steady-clock nanoseconds, which every process on
// the machine shares.
//
//   push-users P B PREFIX U    P pushes as push_to_users calls of B users
//                              each, over PREFIX0..PREFIX(U-1), pipelined
//   push-users-for S B PREFIX U  the same, calls for S seconds
//   push-each P PREFIX U       P push_to_user calls, pipelined
//   paced-push P R W PREFIX U  W warm-up then P push_to_user calls at R/s,
//                              each carrying its send time
//   broadcast                  one broadcast
//   expect-deliveries K        the pusher notes when K more have arrived
//   wait-deliveries            waits for that; the time it happened
//   wait-total T               waits until the count is T in all
//   deliveries                 the pusher's count so far
//   latency on|off             the pusher records send-to-delivery times
//   latencies                  their percentiles

#include <memory>
#include <sstream>
#include <string>

#include <caf/fwd.hpp>

#include "bench/counting_pusher.hpp"
#include "presence/actor_interfaces.hpp"

namespace presence {
class online_manager;
} // namespace presence

namespace bench {

class node_pushes {
public:
  /// Spawns the counting pusher and registers it with `mgr`.
  node_pushes(caf::actor_system& sys, presence::online_manager& mgr);

  ~node_pushes();

  node_pushes(const node_pushes&) = delete;
  node_pushes& operator=(const node_pushes&) = delete;

  /// Runs `cmd` (its arguments in `args`) if it is one of the push
  /// commands; false if it is not.
  bool run(const std::string& cmd, std::istringstream& args);

private:
  presence::online_manager& mgr_;
  std::shared_ptr<counters> c_;
  presence::pusher_actor pusher_;
  /// The count `expect-deliveries` waits for.
  uint64_t expected_ = 0;
};

/// "n N p50_us X p99_us Y max_us Z" of `ns` (nanoseconds).
std::string percentiles(std::vector<int64_t> ns);

} // namespace bench

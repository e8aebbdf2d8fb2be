#pragma once

// The benchmark's command line: its own `--bench-*` options and the CAF and
// presence options it passes through to each actor system's config.

#include <cstddef>
#include <string>
#include <vector>

#include <presence/config.hpp>

namespace bench {

struct options {
  std::vector<size_t> ns;
  std::vector<std::string> caf_args; // argv[0] first
  int latency_ms = 1500;
  int latency_warmup_ms = 2000;
  double latency_rate = 100000.0;
  int timeout_s = 60;
  /// Latency sender: sleep until each send time instead of spinning.
  bool sleep_pacing = false;
  /// Run the idle-expiry rows.
  bool expiry = true;
  /// Run W1-W6 and the latency rows.
  bool main_rows = true;
  /// Length of each machine stall check, 0 for none.
  int stall_check_ms = 2000;
  /// Run the mass logout rows (mass_logout.hpp).
  bool mass_logout = false;
  /// The mass logout as one mark_offline_users call, not one
  /// mark_offline_all call per user.
  bool mass_logout_list = false;
  /// Logins for the one-user rows, 0 for none.
  size_t one_user = 0;
  /// Row C1: the cluster benchmark's program; when set, W1-W6 run on a
  /// cluster node with one peer (a process of that program) replicating.
  std::string cluster_peer;
  /// Whether C1's peer subscribes to presence events (it builds two events
  /// a replicated removal then); by default it only replicates.
  bool cluster_peer_events = false;
};

/// Parses argv; prints the usage and exits on a bad option.
options parse_options(int argc, char** argv);

/// Applies the `--caf.*` / `--presence.*` arguments to a fresh config.
void parse_caf_options(const options& opts, presence::config& cfg);

} // namespace bench

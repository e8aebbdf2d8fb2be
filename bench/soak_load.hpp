#pragma once

// The soak's load: churn workers that own a share of the users, change their
// sessions through the facade at a paced rate and keep a model of what must
// be online; push workers that push at a paced rate. Every call's pending is
// kept until it completes, and its outcome is checked or tallied.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "presence/online_manager.hpp"

namespace soak {

using clk = std::chrono::steady_clock;

struct load_options {
  /// The online population; a tenth more login ids exist, offline after the
  /// ramp, so that users can leave and others come in.
  size_t users = 200000;
  size_t churn_threads = 4;
  size_t push_threads = 2;
  double changes_per_s = 100000.0 / 60;
  double pushes_per_s = 50000;
  /// Seconds between broadcasts, 0 for none.
  double broadcast_every_s = 30;
  uint64_t seed = 1;
};

/// Outcomes by kind (errors, failed pushers in reports, unexpected results).
using tally = std::map<std::string, uint64_t>;

/// Progress every worker adds to, read by the sampler.
struct progress {
  std::atomic<uint64_t> changes_issued{0};
  std::atomic<uint64_t> changes_done{0};
  std::atomic<uint64_t> pushes_issued{0};
  std::atomic<uint64_t> pushes_done{0};
  /// What the models say should be online (issued calls, not completed).
  std::atomic<int64_t> model_users{0};
  std::atomic<int64_t> model_sessions{0};
  /// Changes that took a user's last session (the user goes offline and
  /// the registry retires its actor).
  std::atomic<uint64_t> departures{0};
};

/// Login id of user `i`.
std::string login_id_of(size_t i);

/// Owns the users whose index modulo the number of churn workers is `k`:
/// only this worker changes them, so its model is exact once every call it
/// made has completed.
class churn_worker {
public:
  churn_worker(presence::online_manager& mgr, caf::actor_system& sys,
               const std::vector<std::string>& ids, size_t k,
               const load_options& opts, progress& pr);

  /// Logs every owned user in with one session (not paced).
  void ramp();

  /// Paced churn until `end`.
  void run(clk::time_point start, clk::time_point end);

  /// Waits for every open call; false if some did not complete by
  /// `deadline`.
  bool drain(clk::time_point deadline);

  /// Compares every owned user's sessions in the registry with the model;
  /// returns how many differ and describes the first few in `diffs`.
  size_t check(std::vector<std::string>& diffs);

  size_t online_users() const;
  size_t sessions() const;
  /// Calls whose answer differed from the model's prediction, or failed.
  uint64_t unexpected() const {
    return unexpected_;
  }
  const tally& outcomes() const {
    return outcomes_;
  }

private:
  enum class op : uint8_t { login, logout, refresh, replace };

  struct session_rec {
    std::string token;
    uint8_t device;
  };

  struct change_call {
    presence::pending<presence::change_result> result;
    op what;
    presence::change_status expect;
    uint32_t sessions;
    uint32_t removed;
  };

  void issue_one();
  /// A random owned user, online or not, with fewer than `below` sessions;
  /// model_.size() if none was found.
  size_t pick(bool online, size_t below);
  void counted(size_t j, size_t before);
  void login(size_t u);
  void kick(size_t u);
  presence::online_user new_session(size_t u, uint8_t device);
  void finish_change(change_call& c);
  void finish_kick(const presence::pending<presence::delivery_report>& p);
  void reap(bool block, clk::time_point deadline, bool& timed_out);

  presence::online_manager& mgr_;
  caf::actor_system& sys_;
  const std::vector<std::string>& ids_;
  size_t k_;
  size_t stride_;
  load_options opts_;
  progress& pr_;
  std::mt19937_64 rng_;
  /// Sessions of owned user j (global index k_ + j * stride_), in joining
  /// order, which is connect-time order: the policy replaces the first.
  std::vector<std::vector<session_rec>> model_;
  int64_t users_ = 0;
  int64_t sessions_ = 0;
  /// The counts after the ramp, which the churn keeps.
  int64_t target_users_ = 0;
  int64_t target_sessions_ = 0;
  uint64_t next_token_ = 0;
  caf::timestamp last_connect_{};
  std::deque<change_call> changes_;
  std::deque<presence::pending<presence::delivery_report>> kicks_;
  uint64_t unexpected_ = 0;
  tally outcomes_;
};

class push_worker {
public:
  push_worker(presence::online_manager& mgr, caf::actor_system& sys,
              const std::vector<std::string>& ids, size_t k,
              const load_options& opts, progress& pr);

  /// Paced pushes until `end`; worker 0 also broadcasts now and then.
  void run(clk::time_point start, clk::time_point end);

  bool drain(clk::time_point deadline);

  uint64_t broadcasts() const {
    return broadcasts_;
  }
  const tally& outcomes() const {
    return outcomes_;
  }

private:
  void reap(bool block, clk::time_point deadline, bool& timed_out);

  presence::online_manager& mgr_;
  caf::actor_system& sys_;
  const std::vector<std::string>& ids_;
  size_t k_;
  load_options opts_;
  progress& pr_;
  std::mt19937_64 rng_;
  std::deque<presence::pending<presence::delivery_report>> open_;
  uint64_t broadcasts_ = 0;
  tally outcomes_;
};

} // namespace soak

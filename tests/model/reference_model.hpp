#pragma once

// A plain reference model of presence's semantics as README.md states them:
// sessions, login policies, kicks, pushes, the offline buffer, pushers and
// presence events, with no actors and no time. The model-based test and the
// fuzz target run the same operations against it and the library and compare
// the outcomes. Pushers and event subscribers are named by a slot number.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "presence/login_policy.hpp"
#include "presence/online_user.hpp"
#include "presence/presence_event.hpp"
#include "presence/push_message.hpp"
#include "presence/results.hpp"

namespace presence::model {

/// One session as the model keeps it; the list keeps join order.
struct session {
  std::string token;
  std::string device;
  /// Orders sessions for a login policy's "oldest" (connect_time).
  int64_t connect = 0;
  metadata_map metadata;
};

/// A presence event as compared: the session's login id, token, device and
/// metadata, its kind and reason, and its sequence number.
struct event {
  uint64_t seq = 0;
  event_kind kind = event_kind::joined;
  std::string login_id;
  std::string token;
  std::string device;
  metadata_map metadata;
  std::string reason;
};

bool operator==(const event& x, const event& y);
std::string to_string(const event& x);

/// What one pusher got for one user: the message's type and content and the
/// targeted sessions ("token@device", sorted).
struct delivered {
  std::string type;
  std::string content;
  std::vector<std::string> sessions;
};

bool operator==(const delivered& x, const delivered& y);
std::string to_string(const delivered& x);

/// A delivery report without the generated message id; failed pushers by
/// slot, sorted.
struct report {
  uint64_t users_targeted = 0;
  uint64_t users_reached = 0;
  uint64_t sessions_reached = 0;
  std::vector<std::string> not_online;
  std::vector<int> failed;
  uint64_t buffered = 0;
  uint64_t dropped = 0;
};

bool operator==(const report& x, const report& y);
std::string to_string(const report& x);

/// The outcome of one operation: an error code of presence's category (0 for
/// none) or a change_result / report.
struct outcome {
  uint8_t err = 0;
  change_result change;
  report rep;
};

bool same_change(const change_result& x, const change_result& y);
std::string to_string(const change_result& x);

class reference_model {
public:
  /// `buffer_per_user` is `presence.offline-buffer-size` (0: buffer off).
  explicit reference_model(size_t buffer_per_user = 64);

  // -- sessions -------------------------------------------------------------

  outcome mark_online(const online_user& user, const login_policy& policy);
  outcome mark_offline(const std::string& login_id, const std::string& token);
  outcome mark_offline_all(const std::string& login_id);
  /// mark_offline_users: each listed user once, as mark_offline_all, in
  /// list order; one merged answer.
  outcome mark_offline_users(const std::vector<std::string>& login_ids);
  outcome update_activity(const std::string& login_id,
                          const std::string& token);
  outcome update_metadata(const std::string& login_id,
                          const std::string& token, const metadata_map& md);

  // -- pushes and kicks -----------------------------------------------------

  outcome push_user(const std::string& login_id, const push_message& msg);
  outcome push_users(const std::vector<std::string>& login_ids,
                     const push_message& msg);
  outcome broadcast(const push_message& msg);
  outcome kick(const std::string& login_id, const std::string& reason);
  outcome kick_session(const std::string& login_id, const std::string& token,
                       const std::string& reason);
  outcome kick_device(const std::string& login_id, const std::string& device,
                      const std::string& reason);

  // -- pushers and subscribers ----------------------------------------------

  /// A pusher in `slot` that confirms every batch, or fails every one.
  outcome subscribe_pusher(int slot, bool fails);
  outcome unsubscribe_pusher(int slot);
  outcome subscribe_events(int slot);
  outcome unsubscribe_events(int slot);

  // -- state ----------------------------------------------------------------

  size_t user_count() const noexcept {
    return users_.size();
  }
  size_t session_count() const noexcept;
  std::vector<std::string> users() const;
  const std::vector<session>* sessions_of(const std::string& login_id) const;
  const std::map<std::string, std::vector<session>>& all_users() const {
    return users_;
  }

  /// What each pusher slot should have received, per login id, in order.
  std::map<int, std::map<std::string, std::vector<delivered>>> received;
  /// What each subscriber slot should have received, in order.
  std::map<int, std::vector<event>> events;
  /// Events emitted while any subscriber was subscribed.
  uint64_t event_seq = 0;
  /// Messages in the offline buffer, all users.
  size_t buffered_count() const noexcept;

private:
  struct pusher_slot {
    int slot;
    bool fails;
  };

  void emit(event_kind kind, const std::string& login_id, const session& s,
            const std::string& reason);
  /// Delivers a message to sessions of one user (every subscribed pusher),
  /// updating `rep` if given.
  void deliver(const std::string& login_id, const std::vector<session>& to,
               const push_message& msg, report* rep);
  void keep(const std::string& login_id, const push_message& msg,
            report& rep);
  void deliver_buffered(const std::string& login_id);
  /// kick (neither given), kick_session (token) or kick_device (device).
  outcome kick_device_or_all(const std::string& login_id,
                             const std::string* token,
                             const std::string* device,
                             const std::string& reason);
  /// Removes the sessions selected by `pred`, emitting `kind` for each and
  /// "offline" if the user is empty (then the user is erased).
  template <class Pred>
  std::vector<session> remove(const std::string& login_id, Pred pred,
                              event_kind kind, const std::string& reason);

  size_t buffer_per_user_;
  std::map<std::string, std::vector<session>> users_;
  std::vector<pusher_slot> pushers_;
  std::set<int> subscribers_;
  std::map<std::string, std::deque<push_message>> buffer_;
};

/// Compares the sessions the library lists for `login_id` with the model's
/// (`want`), in no particular order (the README promises none): empty if
/// equal, otherwise what differs.
std::string diff_sessions(const std::string& login_id,
                          std::vector<session> want,
                          std::vector<online_user> got);

} // namespace presence::model

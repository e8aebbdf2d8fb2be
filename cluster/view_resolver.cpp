#include "cluster/view_resolver.hpp"

#include <optional>

namespace presence::cluster {

online_user to_online_user(replica_session x, const std::string& node) {
  online_user result;
  result.login_id = std::move(x.login_id);
  result.token = std::move(x.token);
  result.device = std::move(x.device);
  result.connect_time = x.connect_time;
  result.last_activity = x.last_activity;
  result.metadata = std::move(x.metadata);
  result.node = node;
  return result;
}

namespace {

claim claim_of(const owned_session& x) {
  return claim{x.session.connect_time, x.incarnation, x.session.token};
}

/// The remote holder the table shows: the winner among them.
std::optional<owned_session> winner_of(std::vector<owned_session> holders) {
  std::optional<owned_session> best;
  for (auto& h : holders)
    if (!best || wins(claim_of(h), claim_of(*best)))
      best = std::move(h);
  return best;
}

/// True if `x` beats every holder's claim (and so if there is none).
bool beats_all(const claim& x, const std::vector<owned_session>& holders) {
  for (auto& h : holders)
    if (!wins(x, claim_of(h)))
      return false;
  return true;
}

/// Appends a change to the last step if it is an update of `node`, else
/// starts a new step: consecutive changes of one owner go in one message.
/// The first step is sized for the `left` changes still to come: grown by
/// doubling, a snapshot's update left its smaller copies in malloc's
/// arenas (docs/performance.md, C9).
void append(std::vector<registry_step>& steps, const std::string& node,
            const std::string& reason, bool removed, online_user session,
            size_t left) {
  if (steps.empty() || steps.back().what != registry_step::kind::update
      || steps.back().update.node != node) {
    registry_step step;
    step.update.node = node;
    step.update.reason = reason;
    if (steps.empty())
      step.update.changes.reserve(left);
    steps.push_back(std::move(step));
  }
  steps.back().update.changes.push_back(
    detail::remote_change{removed, std::move(session)});
}

} // namespace

std::vector<registry_step> resolve(view_changes changes,
                                   const std::string& reason,
                                   const owner_log& local,
                                   const replica_state& replicas) {
  std::vector<registry_step> steps;
  // One key buffer for every lookup: a key is longer than a short string.
  std::string key;
  for (size_t i = 0; i < changes.size(); ++i) {
    auto& c = changes[i];
    auto left = changes.size() - i;
    auto& s = c.session;
    // The change's own incarnation, not status(): a copy that left with its
    // owner (dropped or restarted) had one status() no longer knows.
    claim theirs{s.connect_time, c.incarnation, s.token};
    packed_session::key_into(key, s.login_id, s.token);
    auto mine = local.connect_time_of_key(key);
    auto my_claim = mine ? std::optional<claim>{claim{*mine,
                                                      local.incarnation(),
                                                      s.token}}
                         : std::nullopt;
    if (c.kind != change_kind::left) {
      if (my_claim) {
        if (!wins(theirs, *my_claim))
          continue; // ours stays; the other owner drops its copy
        registry_step move;
        move.what = registry_step::kind::move_out;
        move.login_id = s.login_id;
        move.token = s.token;
        move.winner = c.owner;
        steps.push_back(std::move(move));
      }
      // Shown if it beats every other owner's copy; the change is its
      // owner's, so only the others are looked up. A session that a later
      // change of the same batch removes joins and then leaves, as it did
      // on its owner.
      if (beats_all(theirs, replicas.holders_of_key(key, c.owner)))
        append(steps, c.owner, reason, false,
               to_online_user(std::move(s), c.owner), left);
      continue;
    }
    // A copy left. If the table showed it, it shows the next holder now, or
    // nothing; if it showed ours or another owner's, nothing changes. Ours
    // is shown only if it beats the copy that left: a copy that beat ours
    // moved ours out, even while this node's log still holds it (the
    // registry's removal comes back as a local change later).
    if (my_claim && !wins(theirs, *my_claim))
      continue;
    auto rest = replicas.holders_of_key(key, c.owner);
    if (!beats_all(theirs, rest))
      continue;
    if (auto next = winner_of(std::move(rest)))
      append(steps, next->owner, reason, false,
             to_online_user(std::move(next->session), next->owner), left);
    else
      append(steps, c.owner, reason, true,
             to_online_user(std::move(s), c.owner), left);
  }
  return steps;
}

} // namespace presence::cluster

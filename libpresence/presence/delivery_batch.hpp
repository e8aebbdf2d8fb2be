#pragma once

// What a pusher receives: a batch of deliveries. Each delivery names one user,
// the sessions it targets (token and device) and the message. The layout is
// flat (one vector of messages, one of sessions) so that a broadcast to a
// million users costs a few large allocations rather than millions of small
// ones, and so that one batch can be shared by every subscribed pusher.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "presence/push_message.hpp"

namespace presence {

struct session_target {
  std::string token;
  std::string device;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_target& x) {
  return f(caf::meta::type_name("presence::session_target"), x.token,
           x.device);
}

struct delivery {
  std::string login_id;
  /// Index into `delivery_batch::messages`.
  uint32_t message = 0;
  /// Range [first_session, first_session + session_count) in
  /// `delivery_batch::sessions`.
  uint32_t first_session = 0;
  uint32_t session_count = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery& x) {
  return f(caf::meta::type_name("presence::delivery"), x.login_id, x.message,
           x.first_session, x.session_count);
}

/// A contiguous range of session targets.
struct session_range {
  const session_target* first = nullptr;
  const session_target* last = nullptr;
  const session_target* begin() const noexcept { return first; }
  const session_target* end() const noexcept { return last; }
  size_t size() const noexcept { return static_cast<size_t>(last - first); }
};

struct delivery_batch {
  /// Identifies the batch in the registry's bookkeeping.
  uint64_t id = 0;
  std::vector<push_message> messages;
  std::vector<delivery> deliveries;
  std::vector<session_target> sessions;

  const push_message& message_of(const delivery& d) const {
    return messages[d.message];
  }

  session_range sessions_of(const delivery& d) const {
    auto first = sessions.data() + d.first_session;
    return {first, first + d.session_count};
  }

  /// Total number of session deliveries in this batch.
  size_t session_count() const noexcept { return sessions.size(); }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery_batch& x) {
  return f(caf::meta::type_name("presence::delivery_batch"), x.id, x.messages,
           x.deliveries, x.sessions);
}

} // namespace presence

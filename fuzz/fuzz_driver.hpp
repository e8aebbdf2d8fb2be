#pragma once

// The registry fuzz target's driver: sends one input's operations to a
// registry that lives across inputs, checks every answer against the
// reference model in the order the operations were sent, compares the
// published state, and then resets the registry to empty.
//
// Operations are sent without waiting for their answers: the registry keeps
// every call on one user in the order it was made (README), so answers can
// be checked later, in send order, against the model. The driver waits for
// everything sent so far ("settles") only where the outcome depends on more
// than one user (pushes to many users, broadcasts) or where a message has no
// answer (forged internal messages, a batch with no one to answer), so those
// meet the same settled state as when every operation was awaited.

#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/scoped_actor.hpp>

#include "fuzz/fuzz_input.hpp"
#include "presence/presence.hpp"
// Internal messages, as any holder of the registry's handle could send them.
#include "presence/detail/internal_type_ids.hpp"
#include "tests/model/reference_model.hpp"

namespace presence::fuzz {

/// How long any one answer may take before the input counts as a hang.
constexpr auto answer_timeout = std::chrono::seconds(30);

[[noreturn]] void fail(const std::string& what);

/// One answer the model checks, kept in the order the operations were sent.
struct expected_answer {
  /// A typed request (answered by response id) or a batch operation
  /// (answered by ticket in a results message).
  bool typed = false;
  /// The typed request's response id, once sent.
  caf::message_id mid;
  /// A batch operation's ticket.
  uint64_t ticket = 0;
  std::function<model::outcome(model::reference_model&)> apply;
  /// The input has a field the library may reject for reasons the model does
  /// not model.
  bool lenient = false;
  /// False: only waited for (batch pushes to many users, invalid kinds).
  bool compared = true;
  /// A delivery report, not a change result.
  bool is_push = false;
  const char* what = "";
};

class driver {
public:
  driver(online_manager& mgr, caf::scoped_actor& self, pusher_actor pusher);

  /// Sends the input's operations and checks every answer and, at the end,
  /// the published state (counts, online users, every user's sessions).
  void run(reader& in);

  /// Takes every user the input left online offline and empties the offline
  /// buffer, then checks that the registry is empty again. False if the
  /// buffer could not be emptied (the caller then starts a fresh manager).
  bool reset();

private:
  // -- operations (fuzz_ops.cpp) --------------------------------------------

  void typed_op(reader& in, uint8_t kind);
  void batch_op(reader& in);
  void internal_op(reader& in);
  online_user user(reader& in);

  // -- answers and checks (fuzz_driver.cpp) ---------------------------------

  /// Queues a typed request; its answer is checked at the next settle.
  template <class... Ts>
  void request(expected_answer ex, Ts&&... xs) {
    ex.typed = true;
    auto i = pending_.size();
    pending_.push_back(std::move(ex));
    post([this, i, args = std::make_tuple(std::forward<Ts>(xs)...)]() mutable {
      pending_[i].mid = std::apply(
        [this](auto&... ys) {
          return self_->request(reg_, caf::infinite, std::move(ys)...).id();
        },
        args);
    });
  }

  /// Queues a message for the registry. Queued messages go out together at
  /// the next settle: the registry's worker then wakes once for all of them
  /// instead of once for each (sent one by one, each found it idle).
  void post(std::function<void()> send) {
    outbox_.push_back(std::move(send));
  }

  /// A query behind a message that has no answer: its answer proves the
  /// registry took the message and lives on.
  void barrier() {
    expected_answer ex;
    ex.compared = false;
    ex.what = "registry stopped answering";
    request(std::move(ex), online_count_atom::value);
  }

  /// Sends what is queued, waits for every answer outstanding, checks them
  /// in send order, then
  /// compares the counts and the offline buffer's size with the model.
  void settle();
  void await_response(expected_answer& ex);
  void await_result(expected_answer& ex);
  void compare(const caf::error& err, const change_result* change,
               const delivery_report* rep, const expected_answer& ex);
  void check_state();
  void check_sessions();

  online_manager& mgr_;
  registry_actor reg_;
  caf::scoped_actor& self_;
  /// Subscribed only while reset() replays buffered messages.
  pusher_actor pusher_;
  model::reference_model m_{64};
  std::vector<expected_answer> pending_;
  /// Messages not sent yet, in order (see post).
  std::vector<std::function<void()>> outbox_;
  /// Batch results that arrived before their turn, by ticket.
  std::unordered_map<uint64_t, detail::op_result> results_;
  /// Login ids a push named: the offline buffer may hold messages for them.
  std::set<std::string> pushed_to_;
  /// Unique across inputs: a late result can never pass for a later one.
  static inline uint64_t next_ticket_ = 1;
};

} // namespace presence::fuzz

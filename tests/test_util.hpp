#pragma once

// Shared helpers for the presence test suite: a per-test actor system, value
// and error extraction, event-based waiting and scriptable test pushers.
//
// Catch2's assertion macros are not thread-safe: worker threads in tests only
// record outcomes, the test's main thread asserts.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include <catch2/catch.hpp>

#include <presence/presence.hpp>

// The tests reach the internal messages and handles too.
#include "presence/detail/internal_type_ids.hpp"
#include "presence/detail/validate_op.hpp"

// -- printing for Catch2 --------------------------------------------------------

namespace Catch {

template <>
struct StringMaker<presence::change_status> {
  static std::string convert(presence::change_status x) {
    return presence::to_string(x);
  }
};

template <>
struct StringMaker<presence::message_type> {
  static std::string convert(const presence::message_type& x) {
    return presence::to_string(x);
  }
};

template <>
struct StringMaker<caf::error> {
  static std::string convert(const caf::error& x) {
    return caf::to_string(x);
  }
};

template <>
struct StringMaker<caf::timestamp> {
  static std::string convert(const caf::timestamp& x) {
    return std::to_string(x.time_since_epoch().count()) + "ns";
  }
};

} // namespace Catch

namespace test {

using namespace std::chrono_literals;

// -- actor system per test ------------------------------------------------------

using config_tweak = std::function<void(caf::actor_system_config&)>;

inline caf::actor_system_config& tweaked(caf::actor_system_config& cfg,
                                         const config_tweak& f) {
  if (f)
    f(cfg);
  return cfg;
}

/// A prepared config and an actor system on it. Declare it first in a test so
/// that managers and pushers are destroyed before the system.
struct env {
  presence::config cfg;
  caf::actor_system sys;

  explicit env(const config_tweak& f = nullptr) : sys(tweaked(cfg, f)) {
  }
};

// -- values and errors ----------------------------------------------------------

template <class T>
T ok(caf::expected<T> x) {
  if (!x)
    FAIL("expected a value, got error: " << caf::to_string(x.error()));
  return std::move(*x);
}

template <class T>
T ok(const presence::pending<T>& x) {
  return ok(x.get());
}

template <class T>
caf::error err_of(caf::expected<T> x) {
  if (x)
    FAIL("expected an error, got a value");
  return std::move(x.error());
}

template <class T>
caf::error err_of(const presence::pending<T>& x) {
  return err_of(x.get());
}

/// Checks that `expr` (a caf::error) is presence error `code`.
#define CHECK_PRESENCE_ERROR(expr, code)                                       \
  do {                                                                         \
    caf::error check_err_ = (expr);                                            \
    INFO("error: " << caf::to_string(check_err_) << ", expected presence::"    \
                   << presence::to_string(presence::error::code));             \
    if (check_err_)                                                            \
      CHECK(presence::is(check_err_, presence::error::code));                  \
    else                                                                       \
      FAIL_CHECK("expected an error, got none");                               \
  } while (false)

/// Checks that a pending fails at once (ready right after the call) with
/// presence error `code`.
#define CHECK_FAILS_AT_ONCE(pending_expr, code)                                \
  do {                                                                         \
    auto check_pending_ = (pending_expr);                                      \
    CHECK(check_pending_.ready());                                             \
    CHECK_PRESENCE_ERROR(err_of(check_pending_), code);                        \
  } while (false)

inline presence::online_user user(std::string login_id, std::string token,
                                  std::string device = "web",
                                  presence::metadata_map md = {}) {
  return presence::make_online_user(std::move(login_id), std::move(token),
                                    std::move(device), std::move(md));
}

inline std::vector<std::string> sorted(std::vector<std::string> xs) {
  std::sort(xs.begin(), xs.end());
  return xs;
}

inline std::vector<std::string>
tokens_of(const std::vector<presence::online_user>& xs) {
  std::vector<std::string> result;
  for (auto& x : xs)
    result.push_back(x.token);
  return sorted(std::move(result));
}

inline std::vector<std::string>
contents_of(const std::vector<presence::push_message>& xs) {
  std::vector<std::string> result;
  for (auto& x : xs)
    result.push_back(x.content);
  return result;
}

inline std::vector<caf::actor_id>
failed_ids(const presence::delivery_report& rep) {
  std::vector<caf::actor_id> result;
  for (auto& f : rep.failed_pushers)
    result.push_back(f.pusher);
  std::sort(result.begin(), result.end());
  return result;
}

/// Polls `pred` until it holds or `timeout` passes; returns the last value.
/// The pass condition is the predicate, never the elapsed time.
template <class Pred>
bool wait_until(Pred pred, caf::timespan timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

/// Number of running (non-hidden) actors in `sys`.
inline size_t running(caf::actor_system& sys) {
  return sys.registry().running();
}

// -- blocking request helper ----------------------------------------------------

template <class T, class Handle, class... Ts>
caf::expected<T> ask(caf::scoped_actor& self, const Handle& dest, Ts&&... xs) {
  caf::expected<T> result{caf::make_error(caf::sec::bad_function_call,
                                          "no response received")};
  self->request(dest, std::chrono::seconds(20), std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

// -- scriptable test pushers ----------------------------------------------------

/// Records every batch a test pusher receives and lets tests wait for them.
struct probe {
  mutable std::mutex mtx;
  std::condition_variable cv;
  std::vector<presence::delivery_batch> batches;

  void add(const presence::delivery_batch& b) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      batches.push_back(b);
    }
    cv.notify_all();
  }

  size_t batch_count() const {
    std::lock_guard<std::mutex> guard{mtx};
    return batches.size();
  }

  size_t delivery_count() const {
    std::lock_guard<std::mutex> guard{mtx};
    size_t n = 0;
    for (auto& b : batches)
      n += b.deliveries.size();
    return n;
  }

  std::vector<presence::delivery_batch> snapshot() const {
    std::lock_guard<std::mutex> guard{mtx};
    return batches;
  }

  /// Waits (event-based) until at least `n` deliveries arrived.
  bool wait_deliveries(size_t n, caf::timespan timeout = std::chrono::seconds(20)) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, timeout, [&] {
      size_t k = 0;
      for (auto& b : batches)
        k += b.deliveries.size();
      return k >= n;
    });
  }
};

using release_atom = caf::atom_constant<caf::atom("tRelease")>;

using test_pusher_actor
  = presence::pusher_actor::extend<caf::reacts_to<release_atom>>;

enum class pusher_mode {
  /// Confirms every batch at once.
  confirm,
  /// Replies to every batch with an error.
  fail,
  /// Quits (without answering) on the first batch.
  die,
  /// Throws in its handler on the first batch, which kills it.
  crash,
  /// Never answers.
  silent,
  /// Holds confirmations until it receives release_atom, then confirms
  /// everything held and later batches at once.
  hold,
};

struct test_pusher_state {
  std::vector<caf::response_promise> held;
  bool holding = false;
};

inline caf::error test_pusher_error() {
  return caf::make_error(caf::sec::runtime_error, "test pusher refuses");
}

inline test_pusher_actor::behavior_type
test_pusher_impl(test_pusher_actor::stateful_pointer<test_pusher_state> self,
                 std::shared_ptr<probe> p, pusher_mode mode) {
  self->state.holding = mode == pusher_mode::hold;
  return {
    [=](presence::deliver_atom,
        const presence::delivery_batch& batch) -> caf::result<void> {
      p->add(batch);
      switch (mode) {
        case pusher_mode::confirm:
          return caf::unit;
        case pusher_mode::fail:
          return test_pusher_error();
        case pusher_mode::die: {
          auto rp = self->make_response_promise();
          self->quit(caf::make_error(caf::exit_reason::user_shutdown));
          return rp;
        }
        case pusher_mode::crash:
          throw std::runtime_error("test pusher crashed");
        case pusher_mode::silent: {
          auto rp = self->make_response_promise();
          self->state.held.push_back(rp);
          return rp;
        }
        case pusher_mode::hold: {
          if (!self->state.holding)
            return caf::unit;
          auto rp = self->make_response_promise();
          self->state.held.push_back(rp);
          return rp;
        }
      }
      return caf::unit;
    },
    [=](release_atom) {
      self->state.holding = false;
      for (auto& rp : self->state.held)
        rp.deliver(caf::unit);
      self->state.held.clear();
    },
  };
}

/// A test pusher actor plus its probe; sends the actor an exit on destruction.
class test_pusher {
public:
  test_pusher(caf::actor_system& sys, pusher_mode mode)
    : probe_(std::make_shared<probe>()) {
    handle_ = sys.spawn(test_pusher_impl, probe_, mode);
  }

  ~test_pusher() {
    caf::anon_send_exit(handle_, caf::exit_reason::user_shutdown);
  }

  test_pusher(const test_pusher&) = delete;
  test_pusher& operator=(const test_pusher&) = delete;

  presence::pusher_actor handle() const {
    return handle_;
  }

  operator presence::pusher_actor() const {
    return handle_;
  }

  caf::actor_id id() const {
    return handle_.id();
  }

  void release() const {
    caf::anon_send(handle_, release_atom::value);
  }

  probe& events() {
    return *probe_;
  }

private:
  std::shared_ptr<probe> probe_;
  test_pusher_actor handle_;
};

/// Waits until `handle` has terminated (event: its down message).
template <class Handle>
bool await_down(caf::actor_system& sys, const Handle& handle,
                caf::timespan timeout = std::chrono::seconds(20)) {
  caf::scoped_actor self{sys};
  self->monitor(handle);
  bool down = false;
  self->receive([&](const caf::down_msg&) { down = true; },
                caf::after(timeout) >> [] {});
  return down;
}

/// Monitors an actor from construction on; await() waits for its down
/// message. CAF 0.17 runs an actor's monitors newest first, so a watcher
/// created before the actor is handed to the registry gets its down message
/// only after the registry's down message has been enqueued: whatever the
/// test sends the registry afterwards is ordered after it.
class down_watcher {
public:
  template <class Handle>
  down_watcher(caf::actor_system& sys, const Handle& handle) : self_(sys) {
    self_->monitor(handle);
  }

  bool await(caf::timespan timeout = std::chrono::seconds(20)) {
    bool down = false;
    self_->receive([&](const caf::down_msg&) { down = true; },
                   caf::after(timeout) >> [] {});
    return down;
  }

private:
  caf::scoped_actor self_;
};

} // namespace test

#include "actors/user_actor.hpp"

#include <algorithm>

#include <caf/actor_storage.hpp>
#include <caf/actor_system.hpp>
#include <caf/config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "memory/block_pool.hpp"
#include "memory/pooled_allocator.hpp"
#include "registry/login_decision.hpp"
#include "registry/session_ops.hpp"
#include "presence/error.hpp"

namespace presence::detail {

namespace {

using time_point = caf::actor_clock::time_point;

// What the user actor keeps per session. Metadata lives only in the registry's
// published table: the actor decides, the table shows. `last_activity` is on
// the actor clock: it drives the idle timer (and CAF's test coordinator can
// advance it).
struct session_slot {
  std::string token;
  std::string device;
  caf::timestamp connect_time;
  time_point last_activity;
};

session_slot slot_of(const online_user& x, time_point now) {
  return {x.token, x.device, x.connect_time, now};
}

// No login id: the registry remembers which user a ticket belongs to, and
// every byte per user counts at scale. The idle check carries the
// login id instead (see on_idle_check). No registry handle either: every
// message the actor answers comes from the registry.
struct user_state {
  /// Pooled: almost always one session (pooled_allocator.hpp says why).
  session_list<session_slot, pooled_allocator<session_slot>> sessions;
  caf::timespan idle_timeout{0};
};

// A class, not a function with a state: CAF keeps a spawned function's
// arguments (here the whole first session) until the actor first runs, which
// a lazily initialised user actor may never do. A constructor builds the
// state at spawn and keeps nothing else (docs/performance.md has the saving).
class user_impl : public user_actor::base {
public:
  user_impl(caf::actor_config& cfg, const online_user& first,
            caf::timespan idle_timeout, time_point first_seen)
    : user_actor::base(cfg) {
    state.idle_timeout = idle_timeout;
    state.sessions.reserve(1);
    state.sessions.push_back(slot_of(first, first_seen));
  }

  const char* name() const override {
    return "presence.user";
  }

  behavior_type make_behavior() override;

  user_state state;
};

using user_pointer = user_impl*;

} // namespace

} // namespace presence::detail

// User actors come from a block pool instead of malloc (block_pool.hpp says
// why). CAF allocates an actor as `new actor_storage<T>` and frees it with
// `delete`, so class-level allocation functions in a specialisation of that
// template are the one hook it has. The specialisation repeats CAF 0.17.6's
// own definition member for member: CAF reaches the control block and the
// actor by fixed offsets (the asserts below are CAF's).
#if CAF_VERSION != 1706
#  error "actor_storage<user_impl> mirrors CAF 0.17.6; check it against this CAF"
#endif

#ifdef __GNUC__
#  pragma GCC diagnostic push
#  pragma GCC diagnostic ignored "-Winvalid-offsetof"
#endif

template <>
class caf::actor_storage<presence::detail::user_impl> {
public:
  using value_type = presence::detail::user_impl;

  template <class... Us>
  actor_storage(actor_id x, node_id y, actor_system* sys, Us&&... zs)
    : ctrl(x, y, sys, data_dtor, block_dtor) {
    new (&data) value_type(std::forward<Us>(zs)...);
  }

  ~actor_storage() {
    static_assert(offsetof(actor_storage, ctrl) == 0,
                  "control block is not at the start of the storage");
    static_assert(offsetof(actor_storage, data) == CAF_CACHE_LINE_SIZE,
                  "data is not at cache line size boundary");
  }

  actor_storage(const actor_storage&) = delete;
  actor_storage& operator=(const actor_storage&) = delete;

  static void* operator new(std::size_t size) {
    auto& pool = presence::detail::user_actor_pool();
    if (size > pool.block_size())
      throw std::bad_alloc{};
    return pool.allocate();
  }

  static void operator delete(void* ptr) noexcept {
    presence::detail::user_actor_pool().deallocate(ptr);
  }

  actor_control_block ctrl;
  char pad[CAF_CACHE_LINE_SIZE - sizeof(actor_control_block)];
  union {
    value_type data;
  };

private:
  static void data_dtor(abstract_actor* ptr) {
    ptr->on_destroy();
    static_cast<value_type*>(ptr)->~value_type();
  }

  static void block_dtor(actor_control_block* ptr) {
    delete reinterpret_cast<actor_storage*>(ptr);
  }
};

#ifdef __GNUC__
#  pragma GCC diagnostic pop
#endif

namespace presence::detail {

// Never destroyed: an actor may be released during static destruction.
block_pool& user_actor_pool() {
  static auto* pool = new block_pool(
    sizeof(caf::actor_storage<user_impl>));
  return *pool;
}

namespace {

/// The registry's idle wheel asks (a plain message; the answer goes back to
/// it as one); the actor decides. It expires what is due and
/// answers with what it expired and when it wants to be asked again
/// (the oldest remaining activity plus the timeout), which the registry files
/// in its wheel. Refreshes only store a time; they never touch the wheel. A
/// user refreshed more often than the timeout costs one check per timeout.
user_update on_idle_check(user_pointer self, std::string& login_id) {
  auto& st = self->state;
  user_update u;
  u.kind = update_kind::expire;
  u.session.login_id = std::move(login_id);
  if (st.idle_timeout.count() <= 0)
    return u;
  auto now = self->clock().now();
  st.sessions.remove_if(
    [&](const session_slot& x) {
      return x.last_activity + st.idle_timeout <= now;
    },
    [&](session_slot& x) { u.tokens.push_back(std::move(x.token)); });
  if (!st.sessions.empty()) {
    auto oldest = std::min_element(st.sessions.begin(), st.sessions.end(),
                                   [](auto& x, auto& y) {
                                     return x.last_activity < y.last_activity;
                                   });
    u.next_check = (oldest->last_activity + st.idle_timeout)
                     .time_since_epoch();
  }
  return u;
}

/// A new session under a login policy. A known token is the same session
/// logging in again and replaces its record; policies apply to new tokens.
/// In a cluster the policy also counts the user's sessions other nodes own
/// (`cmd.others`): those it replaces go back in `out.others` for their
/// owners to kick. Victims are the oldest first (by connect time, then
/// login order here, then token across nodes).
void join(user_pointer self, user_command& cmd, user_update& out) {
  auto& xs = self->state.sessions;
  auto now = self->clock().now();
  auto& x = cmd.session;
  auto i = xs.find(x.token);
  if (i != xs.end()) {
    *i = slot_of(x, now);
    out.result = {change_status::reconnected, static_cast<uint32_t>(xs.size()),
                  0};
    return;
  }
  auto& p = cmd.policy;
  auto& others = cmd.others;
  auto local = xs.size();
  auto n = local + others.size();
  if (admits_at_once(p, n)) {
    xs.push_back(slot_of(x, now));
    out.result = {change_status::joined, static_cast<uint32_t>(xs.size()),
                  0};
    return;
  }
  auto token_of = [&](size_t k) -> const std::string& {
    return k < local ? xs[k].token : others[k - local].token;
  };
  std::vector<bool> victim;
  auto err = decide_login(
    p, n,
    [&](size_t k) -> const std::string& {
      return k < local ? xs[k].device : others[k - local].device;
    },
    [&](size_t k) {
      return k < local ? xs[k].connect_time : others[k - local].connect_time;
    },
    [&](size_t a, size_t b) {
      return a < local && b < local ? xs.before(a, b)
                                    : token_of(a) < token_of(b);
    },
    x.device, victim);
  if (err) {
    out.err = std::move(err);
    return;
  }
  for (size_t k = local; k < n; ++k)
    if (victim[k])
      out.others.push_back(others[k - local].token);
  size_t k = 0;
  xs.remove_if([&](const session_slot&) { return victim[k++]; },
               [&](session_slot& s) { out.tokens.push_back(std::move(s.token)); });
  xs.push_back(slot_of(x, now));
  out.result = {change_status::joined, static_cast<uint32_t>(xs.size()),
                static_cast<uint32_t>(out.tokens.size() + out.others.size())};
}

} // namespace

user_impl::behavior_type user_impl::make_behavior() {
  auto self = this;
  return {
    [=](join_atom, user_command& cmd) {
      user_update out;
      out.ticket = cmd.ticket;
      out.kind = update_kind::join;
      join(self, cmd, out);
      out.session = std::move(cmd.session);
      return out;
    },
    [=](apply_atom, user_command& cmd) {
      auto& st = self->state;
      // A change the registry already applied to its table and mirrors
      // here. The actor stays alive when its last session goes: the registry
      // decides when it exits.
      mirror_change(st.sessions, cmd.kind, cmd.session, self->clock().now());
    },
    [=](expire_atom, std::string& login_id) {
      return on_idle_check(self, login_id);
    },
  };
}

user_actor spawn_user(caf::actor_system& sys, const online_user& first,
                      caf::timespan idle_timeout,
                      caf::actor_clock::time_point first_seen) {
  return sys.spawn<user_impl, caf::lazy_init>(first, idle_timeout,
                                              first_seen);
}

} // namespace presence::detail

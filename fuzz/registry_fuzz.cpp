// libFuzzer target: fuzz bytes become messages for the registry, as any
// holder of its handle could send them: typed requests, internal client
// batches (`detail::batch_atom`), forged user updates and the internal timer
// atoms, reached with caf::actor_cast. After every operation the outcome and
// the registry's published state (counts, session lists) must match the
// reference model (tests/model/reference_model.hpp). A mismatch or a hang
// aborts, which libFuzzer reports as a crash with the input that caused it.
//
// Each input runs against a fresh manager (and so a fresh registry and
// offline buffer): inputs stay independent and reproducible. The actor system
// is created once with `new` and never destroyed (a static one crashed in
// ~actor_system at exit under libFuzzer).

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <cstdlib>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "presence/presence.hpp"
#include "tests/model/reference_model.hpp"

using namespace presence;

namespace {

constexpr auto timeout = std::chrono::seconds(30);

// Issue 12, defects 1 and 2 (fixed): a client batch with an empty reply_to
// crashed the registry, and operations inside a batch from any sender skipped
// validation. The target now sends both: a batch with no one to answer must
// be rejected without a crash, and invalid operations must fail with the
// model's error. Setting this to true avoids exactly those inputs again.
constexpr bool avoid_unvalidated_batches = false;

struct fuzz_config : caf::actor_system_config {
  fuzz_config() {
    // Work sharing without a polling worker: the driver is one thread.
    set("scheduler.policy", caf::atom("sharing"));
    configure(*this);
    // The offline buffer keeps its default size (64 a user): setting an
    // integer option here crashed in caf::config_option::check (a null
    // function pointer) when this target is built with clang against
    // Debian's g++-built libcaf_core.
  }
};

caf::actor_system& sys() {
  static auto* cfg = new fuzz_config;
  static auto* result = new caf::actor_system(*cfg);
  return *result;
}

[[noreturn]] void fail(const std::string& what) {
  fprintf(stderr, "registry_fuzz: %s\n", what.c_str());
  abort();
}

/// Reads the fuzz input as a stream of small decisions; zeros once empty.
class reader {
public:
  reader(const uint8_t* data, size_t size) : data_(data), size_(size) {
  }
  bool empty() const {
    return pos_ >= size_;
  }
  uint8_t byte() {
    return pos_ < size_ ? data_[pos_++] : 0;
  }
  bool flag() {
    return byte() & 1;
  }
  std::string raw(size_t max_len) {
    size_t n = byte() % (max_len + 1);
    std::string out;
    while (n-- > 0 && !empty())
      out.push_back(static_cast<char>(byte()));
    return out;
  }
  /// Mostly from a small pool, so operations meet each other's users; now
  /// and then raw bytes (empty, invalid UTF-8, long).
  std::string pick(const char* prefix, uint8_t pool) {
    auto b = byte();
    if (b < 240)
      return prefix + std::to_string(b % pool);
    if (b < 250)
      return raw(16);
    return std::string(256 + byte(), 'x');
  }
  std::string login() {
    return pick("u", 4);
  }
  std::string token() {
    return pick("t", 4);
  }
  std::string device() {
    auto b = byte() % 8;
    return b < 3 ? std::string{"web"} : b < 6 ? std::string{"ios"} : raw(8);
  }
  metadata_map metadata() {
    metadata_map md;
    auto n = byte() % 3;
    for (uint8_t i = 0; i < n; ++i)
      md[raw(6)] = raw(12);
    return md;
  }
  login_policy policy() {
    login_policy p;
    p.max_sessions = static_cast<int32_t>(byte() % 5);
    if (byte() == 255)
      p.max_sessions = -1;
    p.one_per_device = flag();
    p.on_limit = flag() ? limit_action::reject : limit_action::replace;
    return p;
  }
  push_message message() {
    push_message m;
    switch (byte() % 6) {
      case 0:
        m = make_binary_message(raw(8));
        break;
      case 1:
        m = make_notification(raw(8));
        break;
      case 2:
        m = make_custom_message(raw(4), raw(8));
        break;
      default:
        m = make_text_message(raw(8));
    }
    m.keep_if_offline = flag();
    return m;
  }

private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

/// A field the library may reject by a rule the model does not hold: not
/// valid UTF-8, longer than any sensible id, or an empty device. Then an
/// error is accepted as well as the model's outcome.
bool unusual(const std::string& x) {
  return !is_valid_utf8(x) || x.size() > 64;
}

bool unusual(const metadata_map& md) {
  for (auto& [k, v] : md)
    if (unusual(k) || unusual(v) || k.empty())
      return true;
  return false;
}

uint8_t code_of(const caf::error& err) {
  return err.category() == error_category ? err.code() : 255;
}

struct driver {
  online_manager* mgr;
  registry_actor reg;
  caf::scoped_actor& self;
  model::reference_model m{64};
  uint64_t next_ticket = 1;

  /// The library's outcome against the model's. `lenient`: the input has a
  /// field the library may reject for reasons the model does not model.
  template <class Apply>
  void compare(const caf::error& err, const change_result* change,
               const delivery_report* rep, bool lenient, Apply apply,
               const char* what) {
    if (err) {
      auto code = code_of(err);
      // Ask the model only now: it applies the operation if it accepts it.
      if (lenient && code != 255) {
        model::reference_model copy = m;
        auto expected = apply(copy);
        if (expected.err == code)
          m = std::move(copy);
        return;
      }
      auto expected = apply(m);
      if (expected.err != code)
        fail(std::string{what} + ": library failed with "
             + sys().render(err) + ", model expected code "
             + std::to_string(expected.err));
      return;
    }
    auto expected = apply(m);
    if (expected.err != 0)
      fail(std::string{what} + ": library accepted, model expected code "
           + std::to_string(expected.err));
    if (change != nullptr && !model::same_change(*change, expected.change))
      fail(std::string{what} + ": got " + model::to_string(*change)
           + ", model " + model::to_string(expected.change));
    if (rep != nullptr) {
      model::report got;
      got.users_targeted = rep->users_targeted;
      got.users_reached = rep->users_reached;
      got.sessions_reached = rep->sessions_reached;
      got.not_online = rep->not_online;
      got.buffered = rep->buffered;
      got.dropped = rep->dropped;
      if (!(got == expected.rep))
        fail(std::string{what} + ": got " + model::to_string(got)
             + ", model " + model::to_string(expected.rep));
    }
  }

  template <class Apply, class... Ts>
  void change_request(bool lenient, Apply apply, const char* what,
                      Ts&&... xs) {
    self->request(reg, timeout, std::forward<Ts>(xs)...)
      .receive(
        [&](change_result& r) {
          compare(caf::error{}, &r, nullptr, lenient, apply, what);
        },
        [&](caf::error& err) {
          if (err == caf::sec::request_timeout)
            fail(std::string{what} + ": no answer");
          compare(err, nullptr, nullptr, lenient, apply, what);
        });
  }

  template <class Apply, class... Ts>
  void push_request(bool lenient, Apply apply, const char* what, Ts&&... xs) {
    self->request(reg, timeout, std::forward<Ts>(xs)...)
      .receive(
        [&](delivery_report& r) {
          compare(caf::error{}, nullptr, &r, lenient, apply, what);
        },
        [&](caf::error& err) {
          if (err == caf::sec::request_timeout)
            fail(std::string{what} + ": no answer");
          compare(err, nullptr, nullptr, lenient, apply, what);
        });
  }

  /// A message with no answer: a query after it proves the registry took it.
  void barrier() {
    self->request(reg, timeout, online_count_atom::value)
      .receive([](uint64_t) {},
               [](caf::error& err) {
                 fail("registry stopped answering: " + sys().render(err));
               });
  }

  void check_state() {
    auto users = mgr->get_online_count();
    auto sessions = mgr->get_session_count();
    if (!users || !sessions)
      fail("queries failed");
    if (*users != m.user_count() || *sessions != m.session_count())
      fail("counts: library " + std::to_string(*users) + "/"
           + std::to_string(*sessions) + ", model "
           + std::to_string(m.user_count()) + "/"
           + std::to_string(m.session_count()));
  }

  void check_sessions() {
    auto ids = mgr->get_online_users();
    if (!ids)
      fail("online users failed");
    std::sort(ids->begin(), ids->end());
    if (*ids != m.users())
      fail("online users differ");
    for (auto& [id, xs] : m.all_users()) {
      auto got = mgr->get_user_sessions(id);
      if (!got)
        fail("sessions of " + id + " failed");
      if (auto diff = model::diff_sessions(id, xs, std::move(*got));
          !diff.empty())
        fail(diff);
    }
  }

  online_user user(reader& in) {
    online_user u;
    u.login_id = in.login();
    u.token = in.token();
    u.device = in.device();
    if (in.flag())
      u.metadata = in.metadata();
    // Distinct, nonzero connect times decide which session is "oldest".
    u.connect_time = caf::timestamp{caf::timespan{1 + in.byte()}};
    u.last_activity = u.connect_time;
    return u;
  }

  static bool lenient_user(const online_user& u) {
    return unusual(u.login_id) || unusual(u.token) || unusual(u.device)
           || u.device.empty() || unusual(u.metadata);
  }

  static bool lenient_msg(const push_message& msg) {
    return unusual(msg.content) || unusual(msg.type.custom_name())
           || unusual(msg.metadata);
  }

  void typed_op(reader& in, uint8_t kind) {
    using std::string;
    switch (kind) {
      case 0: {
        auto u = user(in);
        change_request(
          lenient_user(u),
          [&](auto& x) { return x.mark_online(u, login_policy{}); },
          "mark_online", mark_online_atom::value, u);
        break;
      }
      case 1: {
        auto u = user(in);
        auto p = in.policy();
        change_request(
          lenient_user(u), [&](auto& x) { return x.mark_online(u, p); },
          "mark_online(policy)", mark_online_atom::value, u, p);
        break;
      }
      case 2: {
        auto id = in.login();
        auto tok = in.token();
        change_request(
          unusual(id) || unusual(tok),
          [&](auto& x) { return x.mark_offline(id, tok); }, "mark_offline",
          mark_offline_atom::value, id, tok);
        break;
      }
      case 3: {
        auto id = in.login();
        change_request(
          unusual(id), [&](auto& x) { return x.mark_offline_all(id); },
          "mark_offline_all", mark_offline_all_atom::value, id);
        break;
      }
      case 4: {
        auto id = in.login();
        auto tok = in.token();
        change_request(
          unusual(id) || unusual(tok),
          [&](auto& x) { return x.update_activity(id, tok); },
          "update_activity", update_activity_atom::value, id, tok);
        break;
      }
      case 5: {
        auto id = in.login();
        auto tok = in.token();
        auto md = in.metadata();
        change_request(
          unusual(id) || unusual(tok) || unusual(md),
          [&](auto& x) { return x.update_metadata(id, tok, md); },
          "update_metadata", update_metadata_atom::value, id, tok, md);
        break;
      }
      case 6: {
        auto id = in.login();
        auto msg = in.message();
        push_request(
          unusual(id) || lenient_msg(msg),
          [&](auto& x) { return x.push_user(id, msg); }, "push",
          push_atom::value, id, msg);
        break;
      }
      case 7: {
        std::vector<string> ids;
        bool odd = false;
        for (auto n = in.byte() % 4; n > 0; --n) {
          ids.push_back(in.login());
          odd = odd || unusual(ids.back());
        }
        auto msg = in.message();
        push_request(
          odd || lenient_msg(msg),
          [&](auto& x) { return x.push_users(ids, msg); }, "push(many)",
          push_atom::value, ids, msg);
        break;
      }
      case 8: {
        auto msg = in.message();
        push_request(
          lenient_msg(msg), [&](auto& x) { return x.broadcast(msg); },
          "broadcast", broadcast_atom::value, msg);
        break;
      }
      case 9: {
        auto id = in.login();
        auto why = in.raw(6);
        push_request(
          unusual(id) || unusual(why),
          [&](auto& x) { return x.kick(id, why); }, "kick", kick_atom::value,
          id, why);
        break;
      }
      case 10: {
        auto id = in.login();
        auto tok = in.token();
        auto why = in.raw(6);
        push_request(
          unusual(id) || unusual(tok) || unusual(why),
          [&](auto& x) { return x.kick_session(id, tok, why); },
          "kick_session", kick_session_atom::value, id, tok, why);
        break;
      }
      default: {
        auto id = in.login();
        auto dev = in.device();
        auto why = in.raw(6);
        push_request(
          unusual(id) || unusual(dev) || unusual(why),
          [&](auto& x) { return x.kick_device(id, dev, why); }, "kick_device",
          kick_device_atom::value, id, dev, why);
        break;
      }
    }
  }

  /// A client batch as the facade would send it, from this (foreign) actor.
  /// Operations on single users are compared with the model; pushes to many
  /// users and broadcasts may overtake calls parked on a user within one
  /// batch (README: order holds per user), so only their answer is checked.
  void batch_op(reader& in) {
    detail::client_batch batch;
    batch.reply_to = caf::actor_cast<caf::actor>(self);
    struct expect {
      uint64_t ticket;
      std::function<model::outcome(model::reference_model&)> apply;
      bool lenient;
      bool compared;
      bool is_push;
    };
    std::vector<expect> expects;
    for (auto n = 1 + in.byte() % 6; n > 0; --n) {
      detail::client_op op;
      op.ticket = next_ticket++;
      auto k = in.byte() % 17;
      op.kind = static_cast<detail::op_kind>(k);
      expect ex{op.ticket, nullptr, false, true, false};
      switch (op.kind) {
        case detail::op_kind::mark_online: {
          op.user = user(in);
          op.has_policy = in.flag();
          if (op.has_policy)
            op.policy = in.policy();
          auto u = op.user;
          auto p = op.has_policy ? op.policy : login_policy{};
          ex.apply = [u, p](auto& x) { return x.mark_online(u, p); };
          ex.lenient = lenient_user(u);
          break;
        }
        case detail::op_kind::mark_offline:
        case detail::op_kind::update_activity:
        case detail::op_kind::mark_offline_all: {
          op.user.login_id = in.login();
          op.user.token = in.token();
          auto id = op.user.login_id;
          auto tok = op.user.token;
          auto kind = op.kind;
          ex.apply = [id, tok, kind](auto& x) {
            return kind == detail::op_kind::mark_offline ? x.mark_offline(id, tok)
                   : kind == detail::op_kind::update_activity
                     ? x.update_activity(id, tok)
                     : x.mark_offline_all(id);
          };
          ex.lenient = unusual(id) || unusual(tok);
          break;
        }
        case detail::op_kind::update_metadata: {
          op.user.login_id = in.login();
          op.user.token = in.token();
          op.user.metadata = in.metadata();
          auto u = op.user;
          ex.apply = [u](auto& x) {
            return x.update_metadata(u.login_id, u.token, u.metadata);
          };
          ex.lenient = lenient_user(u);
          break;
        }
        case detail::op_kind::push_user: {
          op.user.login_id = in.login();
          op.message = in.message();
          auto id = op.user.login_id;
          auto msg = op.message;
          ex.apply = [id, msg](auto& x) { return x.push_user(id, msg); };
          ex.lenient = unusual(id) || lenient_msg(msg);
          ex.is_push = true;
          break;
        }
        case detail::op_kind::kick:
        case detail::op_kind::kick_session:
        case detail::op_kind::kick_device: {
          op.user.login_id = in.login();
          op.user.token = in.token();
          op.user.device = in.device();
          op.message = make_kick_out_message(in.raw(6));
          auto u = op.user;
          auto why = op.message.content;
          auto kind = op.kind;
          ex.apply = [u, why, kind](auto& x) {
            return kind == detail::op_kind::kick ? x.kick(u.login_id, why)
                   : kind == detail::op_kind::kick_session
                     ? x.kick_session(u.login_id, u.token, why)
                     : x.kick_device(u.login_id, u.device, why);
          };
          ex.lenient = lenient_user(u) || unusual(why);
          ex.is_push = true;
          break;
        }
        case detail::op_kind::push_users:
        case detail::op_kind::broadcast: {
          for (auto i = in.byte() % 3; i > 0; --i)
            op.login_ids.push_back(in.login());
          op.message = in.message();
          // Not kept: a buffered message would make the model's buffer
          // depend on which user calls this push overtook.
          op.message.keep_if_offline = false;
          ex.compared = false;
          break;
        }
        default: {
          // (Un)subscribe with no actor, expire, or no operation at all:
          // answered with an error, nothing changes.
          auto b = in.byte();
          op.kind = static_cast<detail::op_kind>(
            b < 128 ? 8 + b % 2 : b < 192 ? 13 + b % 3 : 16 + b % 240);
          ex.compared = false;
          break;
        }
      }
      if (avoid_unvalidated_batches && ex.apply) {
        model::reference_model copy = m;
        auto code = static_cast<error>(ex.apply(copy).err);
        if (code != error::none && code != error::too_many_sessions
            && code != error::device_taken)
          continue;
      }
      expects.push_back(std::move(ex));
      batch.ops.push_back(std::move(op));
    }
    if (expects.empty())
      return;
    if (!avoid_unvalidated_batches && in.byte() == 0) {
      // No one to answer: the registry must reject the batch and live on.
      batch.reply_to = caf::actor{};
      self->send(caf::actor_cast<caf::actor>(reg), detail::batch_atom::value,
                 std::move(batch));
      barrier();
      return;
    }
    // Tickets are not contiguous: skipped operations used some up.
    std::map<uint64_t, size_t> index_of;
    for (size_t i = 0; i < expects.size(); ++i)
      index_of[expects[i].ticket] = i;
    std::vector<detail::op_result> results(expects.size());
    std::vector<bool> seen(expects.size(), false);
    self->send(caf::actor_cast<caf::actor>(reg), detail::batch_atom::value,
               std::move(batch));
    size_t missing = expects.size();
    while (missing > 0) {
      bool timed_out = false;
      self->receive(
        [&](detail::results_atom, detail::client_results& rs) {
          for (auto& r : rs.results) {
            auto j = index_of.find(r.ticket);
            if (j == index_of.end())
              continue;
            auto i = j->second;
            if (!seen[i]) {
              seen[i] = true;
              results[i] = std::move(r);
              --missing;
            }
          }
        },
        caf::after(timeout) >> [&] { timed_out = true; });
      if (timed_out)
        fail("a client batch was not answered in full");
    }
    // Results in call order: per user that is the order they took effect.
    for (size_t i = 0; i < expects.size(); ++i) {
      auto& ex = expects[i];
      if (!ex.compared)
        continue;
      auto& r = results[i];
      compare(r.err, ex.is_push ? nullptr : &r.change,
              ex.is_push ? &r.report : nullptr, ex.lenient, ex.apply,
              "batch op");
    }
  }

  /// Messages only the registry's own actors should send: they must change
  /// nothing when they come from anyone else.
  void internal_op(reader& in) {
    auto dst = caf::actor_cast<caf::actor>(reg);
    switch (in.byte() % 6) {
      case 0: {
        detail::user_update u;
        u.ticket = in.byte();
        u.kind = static_cast<detail::op_kind>(in.byte() % 17);
        u.session.login_id = in.login();
        u.session.token = in.token();
        if (in.flag())
          u.tokens.push_back(in.token());
        u.result.status = static_cast<change_status>(in.byte() % 12);
        u.next_check = caf::timespan{in.byte()};
        self->send(dst, std::move(u));
        break;
      }
      case 1:
        self->send(dst, detail::flush_atom::value);
        break;
      case 2:
        self->send(dst, detail::reap_atom::value);
        break;
      case 3:
        self->send(dst, detail::sweep_atom::value);
        break;
      case 4:
        self->send(dst, detail::tick_atom::value);
        break;
      default:
        self->send(dst, detail::timeout_atom::value);
        break;
    }
    barrier();
  }

  void run(reader& in) {
    for (int steps = 0; steps < 16 && !in.empty(); ++steps) {
      auto b = in.byte();
      if (b < 200)
        typed_op(in, b % 12);
      else if (b < 235)
        batch_op(in);
      else
        internal_op(in);
      check_state();
    }
    check_sessions();
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& system = sys();
  static auto* self = new caf::scoped_actor(system);
  auto* mgr = new online_manager(system);
  if (mgr->status())
    fail("manager unusable: " + system.render(mgr->status()));
  {
    driver d{mgr, mgr->registry(), *self};
    reader in{data, size};
    d.run(in);
  }
  delete mgr;
  return 0;
}

#include "tests/model/runner.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "presence/presence.hpp"
#include "tests/model/reference_model.hpp"

namespace presence::model {

namespace {

// Only a hang waits this long: every wait ends on the awaited event.
constexpr auto patience = std::chrono::seconds(20);

constexpr int pusher_slots = 3;
constexpr int failing_slot = 2;
constexpr int subscriber_slots = 2;
// Small, so a few pushes to an offline user reach the per-user limit.
constexpr size_t buffer_per_user = 3;

/// What one recording pusher received, per login id.
struct pusher_log {
  std::mutex mtx;
  std::condition_variable cv;
  std::map<std::string, std::vector<delivered>> got;
  size_t total = 0;
};

pusher_actor::behavior_type
recording_pusher(pusher_actor::pointer, std::shared_ptr<pusher_log> log,
                 bool fails) {
  return {
    [=](deliver_atom, const delivery_batch& batch) -> caf::result<void> {
      {
        std::lock_guard<std::mutex> guard{log->mtx};
        for (auto& d : batch.deliveries) {
          auto& msg = batch.message_of(d);
          delivered x{to_string(msg.type), msg.content, {}};
          for (auto& s : batch.sessions_of(d))
            x.sessions.push_back(s.token + "@" + s.device);
          std::sort(x.sessions.begin(), x.sessions.end());
          log->got[d.login_id].push_back(std::move(x));
          ++log->total;
        }
      }
      log->cv.notify_all();
      if (fails)
        return caf::make_error(caf::sec::runtime_error, "recording pusher");
      return caf::unit;
    },
  };
}

/// The events one recording subscriber received, numbered as sent.
struct event_log {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<event> got;
};

event_subscriber_actor::behavior_type
recording_subscriber(event_subscriber_actor::pointer,
                     std::shared_ptr<event_log> log) {
  return {
    [=](presence_events_atom, const presence_events& batch) {
      {
        std::lock_guard<std::mutex> guard{log->mtx};
        auto seq = batch.first_seq;
        for (auto& ev : batch.events)
          log->got.push_back(event{seq++, ev.kind, ev.session.login_id,
                                   ev.session.token, ev.session.device,
                                   ev.session.metadata, ev.reason});
      }
      log->cv.notify_all();
    },
  };
}

push_message message_of(const step& s) {
  push_message m;
  switch (s.type) {
    case 1:
      m = make_binary_message(s.content);
      break;
    case 2:
      m = make_notification(s.content);
      break;
    case 3:
      m = make_custom_message("c", s.content);
      break;
    default:
      m = make_text_message(s.content);
  }
  m.keep_if_offline = s.keep_if_offline;
  return m;
}

online_user user_of(const step& s) {
  online_user u;
  u.login_id = s.login_id;
  u.token = s.token;
  u.device = s.device;
  u.metadata = s.metadata;
  u.connect_time = caf::timestamp{caf::timespan{s.connect}};
  u.last_activity = u.connect_time;
  return u;
}

uint8_t code_of(const caf::error& err) {
  return err.category() == error_category ? err.code() : 255;
}

class runner {
public:
  runner()
    : sys_(prepared(cfg_)), self_(sys_), mgr_(sys_), m_(buffer_per_user) {
    reg_ = mgr_.registry();
    for (int i = 0; i < pusher_slots; ++i) {
      plogs_.push_back(std::make_shared<pusher_log>());
      pushers_.push_back(
        sys_.spawn(recording_pusher, plogs_.back(), i == failing_slot));
      slot_of_[pushers_.back().id()] = i;
    }
    for (int i = 0; i < subscriber_slots; ++i) {
      elogs_.push_back(std::make_shared<event_log>());
      subscribers_.push_back(sys_.spawn(recording_subscriber, elogs_.back()));
    }
  }

  ~runner() {
    mgr_.sync();
    for (auto& p : pushers_)
      caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
    for (auto& s : subscribers_)
      caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  }

  /// Runs one step on both sides; a description of the first difference.
  std::optional<std::string> run(const step& s) {
    auto want = apply(m_, s);
    auto got = execute(s);
    if (auto diff = compare_outcome(want, got))
      return diff;
    if (auto diff = compare_pushers())
      return diff;
    if (auto diff = compare_events())
      return diff;
    return compare_state();
  }

private:
  static config& prepared(config& cfg) {
    cfg.set("presence.offline-buffer-size", buffer_per_user);
    return cfg;
  }

  static outcome apply(reference_model& m, const step& s) {
    switch (s.kind) {
      case step_kind::mark_online:
        return m.mark_online(user_of(s), login_policy{});
      case step_kind::mark_online_policy:
        return m.mark_online(user_of(s), s.policy);
      case step_kind::mark_offline:
        return m.mark_offline(s.login_id, s.token);
      case step_kind::mark_offline_all:
        return m.mark_offline_all(s.login_id);
      case step_kind::mark_offline_users:
        return m.mark_offline_users(s.login_ids);
      case step_kind::update_activity:
        return m.update_activity(s.login_id, s.token);
      case step_kind::update_metadata:
        return m.update_metadata(s.login_id, s.token, s.metadata);
      case step_kind::push_user:
        return m.push_user(s.login_id, message_of(s));
      case step_kind::push_users:
        return m.push_users(s.login_ids, message_of(s));
      case step_kind::broadcast:
        return m.broadcast(message_of(s));
      case step_kind::kick:
        return m.kick(s.login_id, s.content);
      case step_kind::kick_session:
        return m.kick_session(s.login_id, s.token, s.content);
      case step_kind::kick_device:
        return m.kick_device(s.login_id, s.device, s.content);
      case step_kind::subscribe_pusher:
        return m.subscribe_pusher(s.slot, s.slot == failing_slot);
      case step_kind::unsubscribe_pusher:
        return m.unsubscribe_pusher(s.slot);
      case step_kind::subscribe_events:
        return m.subscribe_events(s.slot);
      case step_kind::unsubscribe_events:
        return m.unsubscribe_events(s.slot);
    }
    return {};
  }

  outcome from(caf::expected<change_result> x) {
    outcome r;
    if (x)
      r.change = *x;
    else
      r.err = code_of(x.error());
    return r;
  }

  outcome from(caf::expected<delivery_report> x) {
    outcome r;
    if (!x) {
      r.err = code_of(x.error());
      return r;
    }
    r.rep.users_targeted = x->users_targeted;
    r.rep.users_reached = x->users_reached;
    r.rep.sessions_reached = x->sessions_reached;
    r.rep.not_online = x->not_online;
    r.rep.buffered = x->buffered;
    r.rep.dropped = x->dropped;
    for (auto& f : x->failed_pushers)
      r.rep.failed.push_back(slot_of_.count(f.pusher) ? slot_of_[f.pusher]
                                                      : -1);
    std::sort(r.rep.failed.begin(), r.rep.failed.end());
    return r;
  }

  template <class T, class... Ts>
  caf::expected<T> typed(Ts&&... xs) {
    caf::expected<T> result{caf::sec::request_timeout};
    self_->request(reg_, patience, std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  outcome execute(const step& s) {
    using str = std::string;
    auto f = s.facade;
    switch (s.kind) {
      case step_kind::mark_online:
        return from(f ? mgr_.mark_online(user_of(s)).get()
                      : typed<change_result>(mark_online_atom::value,
                                             user_of(s)));
      case step_kind::mark_online_policy:
        return from(f ? mgr_.mark_online(user_of(s), s.policy).get()
                      : typed<change_result>(mark_online_atom::value,
                                             user_of(s), s.policy));
      case step_kind::mark_offline:
        return from(f ? mgr_.mark_offline(s.login_id, s.token).get()
                      : typed<change_result>(mark_offline_atom::value,
                                             str{s.login_id}, str{s.token}));
      case step_kind::mark_offline_all:
        return from(f ? mgr_.mark_offline_all(s.login_id).get()
                      : typed<change_result>(mark_offline_all_atom::value,
                                             str{s.login_id}));
      case step_kind::mark_offline_users:
        return from(f ? mgr_.mark_offline_users(s.login_ids).get()
                      : typed<change_result>(mark_offline_all_atom::value,
                                             s.login_ids));
      case step_kind::update_activity:
        return from(f ? mgr_.update_activity(s.login_id, s.token).get()
                      : typed<change_result>(update_activity_atom::value,
                                             str{s.login_id}, str{s.token}));
      case step_kind::update_metadata:
        return from(
          f ? mgr_.update_metadata(s.login_id, s.token, s.metadata).get()
            : typed<change_result>(update_metadata_atom::value,
                                   str{s.login_id}, str{s.token},
                                   s.metadata));
      case step_kind::push_user:
        return from(f ? mgr_.push_message_to_user(s.login_id, message_of(s))
                          .get()
                      : typed<delivery_report>(push_atom::value,
                                               str{s.login_id},
                                               message_of(s)));
      case step_kind::push_users:
        return from(
          f ? mgr_.push_message_to_users(s.login_ids, message_of(s)).get()
            : typed<delivery_report>(push_atom::value, s.login_ids,
                                     message_of(s)));
      case step_kind::broadcast:
        return from(f ? mgr_.broadcast_message(message_of(s)).get()
                      : typed<delivery_report>(broadcast_atom::value,
                                               message_of(s)));
      case step_kind::kick:
        return from(f ? mgr_.kick_out_notify(s.login_id, s.content).get()
                      : typed<delivery_report>(kick_atom::value,
                                               str{s.login_id},
                                               str{s.content}));
      case step_kind::kick_session:
        return from(
          f ? mgr_.kick_out_session(s.login_id, s.token, s.content).get()
            : typed<delivery_report>(kick_session_atom::value,
                                     str{s.login_id}, str{s.token},
                                     str{s.content}));
      case step_kind::kick_device:
        return from(
          f ? mgr_.kick_out_device(s.login_id, s.device, s.content).get()
            : typed<delivery_report>(kick_device_atom::value,
                                     str{s.login_id}, str{s.device},
                                     str{s.content}));
      case step_kind::subscribe_pusher: {
        auto& p = pushers_[s.slot];
        return from(f ? mgr_.register_pusher(p).get()
                      : typed<change_result>(subscribe_atom::value, p));
      }
      case step_kind::unsubscribe_pusher: {
        auto& p = pushers_[s.slot];
        return from(f ? mgr_.unregister_pusher(p).get()
                      : typed<change_result>(unsubscribe_atom::value, p));
      }
      case step_kind::subscribe_events: {
        auto& x = subscribers_[s.slot];
        return from(f ? mgr_.subscribe_events(x).get()
                      : typed<change_result>(subscribe_events_atom::value, x));
      }
      case step_kind::unsubscribe_events: {
        auto& x = subscribers_[s.slot];
        return from(f ? mgr_.unsubscribe_events(x).get()
                      : typed<change_result>(unsubscribe_events_atom::value,
                                             x));
      }
    }
    return {};
  }

  static bool is_push(const step& s) {
    switch (s.kind) {
      case step_kind::push_user:
      case step_kind::push_users:
      case step_kind::broadcast:
      case step_kind::kick:
      case step_kind::kick_session:
      case step_kind::kick_device:
        return true;
      default:
        return false;
    }
  }

  std::optional<std::string> compare_outcome(const outcome& want,
                                             const outcome& got) {
    if (want.err != got.err)
      return "error code: model " + std::to_string(want.err) + ", library "
             + std::to_string(got.err);
    if (want.err != 0)
      return std::nullopt;
    if (!same_change(want.change, got.change))
      return "change_result: model {" + to_string(want.change)
             + "}, library {" + to_string(got.change) + "}";
    if (!(want.rep == got.rep))
      return "delivery_report: model {" + to_string(want.rep)
             + "}, library {" + to_string(got.rep) + "}";
    return std::nullopt;
  }

  std::optional<std::string> compare_pushers() {
    for (int i = 0; i < pusher_slots; ++i) {
      auto& want = m_.received[i];
      size_t n = 0;
      for (auto& [id, xs] : want)
        n += xs.size();
      auto& log = *plogs_[i];
      std::unique_lock<std::mutex> guard{log.mtx};
      // Deliveries follow a push's report or a call's result: wait for
      // them, never for a fixed time.
      log.cv.wait_for(guard, patience, [&] { return log.total >= n; });
      for (auto& [id, xs] : want)
        if (log.got[id] != xs) {
          auto& g = log.got[id];
          std::string out = "pusher " + std::to_string(i) + ", user " + id
                            + ": model " + std::to_string(xs.size())
                            + " deliveries, library "
                            + std::to_string(g.size());
          for (size_t k = 0; k < std::max(xs.size(), g.size()); ++k) {
            if (k < xs.size() && k < g.size() && xs[k] == g[k])
              continue;
            out += "; first difference #" + std::to_string(k) + ": model "
                   + (k < xs.size() ? to_string(xs[k]) : "-") + ", library "
                   + (k < g.size() ? to_string(g[k]) : "-");
            break;
          }
          return out;
        }
      if (log.total != n)
        return "pusher " + std::to_string(i) + ": model "
               + std::to_string(n) + " deliveries, library "
               + std::to_string(log.total);
    }
    return std::nullopt;
  }

  std::optional<std::string> compare_events() {
    for (int i = 0; i < subscriber_slots; ++i) {
      auto& want = m_.events[i];
      auto& log = *elogs_[i];
      std::unique_lock<std::mutex> guard{log.mtx};
      log.cv.wait_for(guard, patience,
                      [&] { return log.got.size() >= want.size(); });
      for (size_t k = 0; k < std::max(want.size(), log.got.size()); ++k) {
        if (k < want.size() && k < log.got.size() && want[k] == log.got[k])
          continue;
        return "subscriber " + std::to_string(i) + ", event #"
               + std::to_string(k) + ": model "
               + (k < want.size() ? to_string(want[k]) : "-") + ", library "
               + (k < log.got.size() ? to_string(log.got[k]) : "-");
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> compare_state() {
    auto users = mgr_.get_online_count();
    auto sessions = mgr_.get_session_count();
    auto typed_users = typed<uint64_t>(online_count_atom::value);
    if (!users || !sessions || !typed_users)
      return std::string{"a count query failed"};
    if (*users != m_.user_count() || *sessions != m_.session_count()
        || *typed_users != m_.user_count())
      return "counts: model " + std::to_string(m_.user_count()) + " users/"
             + std::to_string(m_.session_count()) + " sessions, library "
             + std::to_string(*users) + "/" + std::to_string(*sessions)
             + " (typed " + std::to_string(*typed_users) + ")";
    auto ids = mgr_.get_online_users();
    if (!ids)
      return std::string{"get_online_users failed"};
    std::sort(ids->begin(), ids->end());
    if (*ids != m_.users())
      return std::string{"online users differ"};
    for (int u = 0; u < 4; ++u) {
      auto id = "u" + std::to_string(u);
      auto got = mgr_.get_user_sessions(id);
      auto online = mgr_.is_online(id);
      auto xs = m_.sessions_of(id);
      if (!got || !online)
        return "queries on " + id + " failed";
      if (*online != (xs != nullptr))
        return "is_online(" + id + ") differs";
      std::vector<session> want;
      if (xs != nullptr)
        want = *xs;
      if (auto diff = diff_sessions(id, std::move(want), std::move(*got));
          !diff.empty())
        return diff;
    }
    return std::nullopt;
  }

  config cfg_;
  caf::actor_system sys_;
  caf::scoped_actor self_;
  online_manager mgr_;
  registry_actor reg_;
  reference_model m_;
  std::vector<std::shared_ptr<pusher_log>> plogs_;
  std::vector<pusher_actor> pushers_;
  std::map<caf::actor_id, int> slot_of_;
  std::vector<std::shared_ptr<event_log>> elogs_;
  std::vector<event_subscriber_actor> subscribers_;
};

} // namespace

std::optional<failure> run_steps(const std::vector<step>& steps) {
  runner r;
  for (size_t i = 0; i < steps.size(); ++i)
    if (auto diff = r.run(steps[i]))
      return failure{i, *diff};
  return std::nullopt;
}

std::vector<step> shrink(std::vector<step> steps, const step_runner& run) {
  if (auto f = run(steps))
    steps.resize(f->step + 1);
  else
    return steps;
  for (size_t chunk = std::max<size_t>(steps.size() / 2, 1); chunk > 0;
       chunk /= 2) {
    for (size_t i = 0; i + chunk <= steps.size();) {
      auto candidate = steps;
      candidate.erase(candidate.begin() + i, candidate.begin() + i + chunk);
      if (auto f = run(candidate)) {
        candidate.resize(f->step + 1);
        steps = std::move(candidate);
      } else {
        i += chunk;
      }
    }
  }
  return steps;
}

} // namespace presence::model

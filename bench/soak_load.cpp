#include "soak_load.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include <caf/all.hpp>

#include "presence/presence.hpp"

namespace soak {

namespace {

constexpr const char* devices[] = {"web", "ios", "android"};

/// A login adds a session only to users with fewer than this.
constexpr size_t session_cap = 4;

/// Users per push_to_users call.
constexpr size_t multi_push_users = 8;

/// An error's kind without its context text (which may name a user).
std::string kind_of(caf::actor_system& sys, const caf::error& err) {
  return sys.render(caf::error{err.code(), err.category()});
}

/// Issues what is due by now at `rate` per second, then sleeps a
/// millisecond; `reap` collects completed calls in between.
template <class Issue, class Reap>
void paced(clk::time_point start, clk::time_point end, double rate,
           std::atomic<uint64_t>& issued_total, Issue issue, Reap reap) {
  uint64_t issued = 0;
  for (auto now = clk::now(); now < end; now = clk::now()) {
    auto due = static_cast<uint64_t>(
      std::chrono::duration<double>(now - start).count() * rate);
    for (; issued < due; ++issued) {
      issue();
      issued_total.fetch_add(1, std::memory_order_relaxed);
    }
    reap();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

presence::pending<presence::delivery_report>&
pending_of(presence::pending<presence::delivery_report>& x) {
  return x;
}

template <class Call>
auto& pending_of(Call& x) {
  return x.result;
}

/// Completes the front of `q` while ready, or (block) all of it by
/// `deadline`.
template <class Queue, class Finish>
void reap_queue(Queue& q, bool block, clk::time_point deadline,
                bool& timed_out, Finish finish) {
  while (!q.empty()) {
    auto& front = q.front();
    auto& p = pending_of(front);
    if (!p.ready()) {
      if (!block)
        return;
      auto left = deadline - clk::now();
      if (left <= clk::duration::zero() || !p.wait_for(left)) {
        timed_out = true;
        return;
      }
    }
    finish(front);
    q.pop_front();
  }
}

} // namespace

std::string login_id_of(size_t i) {
  return "user" + std::to_string(i);
}

// -- churn ---------------------------------------------------------------------

churn_worker::churn_worker(presence::online_manager& mgr,
                           caf::actor_system& sys,
                           const std::vector<std::string>& ids, size_t k,
                           const load_options& opts, progress& pr)
  : mgr_(mgr),
    sys_(sys),
    ids_(ids),
    k_(k),
    stride_(opts.churn_threads),
    opts_(opts),
    pr_(pr),
    rng_(opts.seed * 1000 + k) {
  size_t owned = k < ids.size() ? (ids.size() - k + stride_ - 1) / stride_ : 0;
  model_.resize(owned);
}

presence::online_user churn_worker::new_session(size_t j, uint8_t device) {
  auto token = "t" + std::to_string(k_) + "-" + std::to_string(next_token_++);
  auto x = presence::make_online_user(ids_[k_ + j * stride_], token,
                                      devices[device]);
  // Strictly increasing connect times, so the model knows which session a
  // policy replaces (the oldest by connect time).
  auto now = caf::make_timestamp();
  last_connect_ = std::max(now, last_connect_ + std::chrono::nanoseconds(1));
  x.connect_time = last_connect_;
  x.last_activity = last_connect_;
  model_[j].push_back({std::move(token), device});
  return x;
}

void churn_worker::ramp() {
  bool timed_out = false;
  for (size_t j = 0; j < model_.size(); ++j) {
    auto i = k_ + j * stride_;
    if (i >= opts_.users)
      continue; // a spare login id: offline until the churn brings it in
    // Every second user has two sessions, so that kicks by device and
    // policy replacements meet users with several.
    for (uint32_t n = 1; n <= 1 + i % 2; ++n) {
      auto p = mgr_.mark_online(new_session(j, static_cast<uint8_t>(n - 1)));
      changes_.push_back({std::move(p), op::login,
                          presence::change_status::joined, n, 0});
    }
    counted(j, 0);
    if (changes_.size() >= 4096)
      reap(false, clk::now(), timed_out);
  }
  target_users_ = users_;
  target_sessions_ = sessions_;
}

void churn_worker::login(size_t j) {
  auto device = static_cast<uint8_t>(rng_() % 3);
  auto n = static_cast<uint32_t>(model_[j].size());
  auto p = mgr_.mark_online(new_session(j, device));
  changes_.push_back({std::move(p), op::login, presence::change_status::joined,
                      n + 1, 0});
}

void churn_worker::kick(size_t j) {
  auto& xs = model_[j];
  auto& id = ids_[k_ + j * stride_];
  switch (rng_() % 3) {
    case 0: {
      auto i = rng_() % xs.size();
      kicks_.push_back(mgr_.kick_out_session(id, xs[i].token, "soak"));
      xs.erase(xs.begin() + static_cast<ptrdiff_t>(i));
      break;
    }
    case 1: {
      auto device = xs[rng_() % xs.size()].device;
      kicks_.push_back(mgr_.kick_out_device(id, devices[device], "soak"));
      xs.erase(std::remove_if(xs.begin(), xs.end(),
                              [&](const session_rec& s) {
                                return s.device == device;
                              }),
               xs.end());
      break;
    }
    default:
      kicks_.push_back(mgr_.kick_out_notify(id, "soak"));
      xs.clear();
  }
}

size_t churn_worker::pick(bool online, size_t below) {
  // Rejection sampling: online users are the large majority and offline
  // ones exist whenever the count is below its target.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    auto j = rng_() % model_.size();
    auto n = model_[j].size();
    if ((n > 0) == online && n < below)
      return j;
  }
  return model_.size();
}

void churn_worker::counted(size_t j, size_t before) {
  auto after = model_[j].size();
  auto ds = static_cast<int64_t>(after) - static_cast<int64_t>(before);
  auto du = int64_t{after > 0} - int64_t{before > 0};
  users_ += du;
  sessions_ += ds;
  pr_.model_sessions.fetch_add(ds, std::memory_order_relaxed);
  pr_.model_users.fetch_add(du, std::memory_order_relaxed);
  if (du < 0)
    pr_.departures.fetch_add(1, std::memory_order_relaxed);
}

void churn_worker::issue_one() {
  using presence::change_status;
  // Mix: 20% refresh, 10% policy replacement (neither changes a count),
  // 70% a login or a removal (3 logouts to 1 kick), whichever brings the
  // online users and sessions back to their counts after the ramp: the
  // population stays fixed, so memory has no reason to grow.
  auto roll = rng_() % 100;
  size_t j = model_.size();
  enum { refresh, replace, add, remove } what;
  if (roll < 30) {
    what = roll < 20 ? refresh : replace;
    j = pick(true, SIZE_MAX);
  } else if (sessions_ < target_sessions_ || users_ < target_users_) {
    what = add;
    j = users_ < target_users_ ? pick(false, SIZE_MAX)
                               : pick(true, session_cap);
  } else {
    what = remove;
    j = pick(true, SIZE_MAX);
  }
  if (j == model_.size())
    return; // nobody fits (a tiny population): skip this one
  auto before = model_[j].size();
  auto& xs = model_[j];
  auto& id = ids_[k_ + j * stride_];
  auto n = static_cast<uint32_t>(xs.size());
  switch (what) {
    case add:
      login(j);
      break;
    case remove:
      if (rng_() % 4 == 0) {
        kick(j);
      } else {
        auto i = rng_() % n;
        auto p = mgr_.mark_offline(id, xs[i].token);
        xs.erase(xs.begin() + static_cast<ptrdiff_t>(i));
        changes_.push_back({std::move(p), op::logout,
                            n == 1 ? change_status::user_offline
                                   : change_status::left,
                            n - 1, 1});
      }
      break;
    case refresh: {
      auto p = mgr_.update_activity(id, xs[rng_() % n].token);
      changes_.push_back({std::move(p), op::refresh,
                          change_status::refreshed, n, 0});
      break;
    }
    case replace: {
      presence::login_policy policy;
      policy.max_sessions = static_cast<int32_t>(n);
      policy.on_limit = presence::limit_action::replace;
      auto x = new_session(j, static_cast<uint8_t>(rng_() % 3));
      xs.erase(xs.begin());
      auto p = mgr_.mark_online(std::move(x), policy);
      changes_.push_back({std::move(p), op::replace, change_status::joined,
                          n, 1});
    }
  }
  counted(j, before);
}

void churn_worker::finish_change(change_call& c) {
  static constexpr const char* op_names[] = {"login", "logout", "refresh",
                                             "policy replacement"};
  pr_.changes_done.fetch_add(1, std::memory_order_relaxed);
  auto what = op_names[static_cast<int>(c.what)];
  auto r = c.result.get();
  if (!r) {
    ++unexpected_;
    ++outcomes_[std::string{"change failed ("} + what
                + "): " + kind_of(sys_, r.error())];
    return;
  }
  bool removed_ok = c.what == op::replace || c.what == op::logout
                      ? r->removed == c.removed
                      : true;
  if (r->status != c.expect || r->sessions != c.sessions || !removed_ok) {
    ++unexpected_;
    ++outcomes_[std::string{"unexpected answer ("} + what + "): got "
                + to_string(r->status) + ", expected " + to_string(c.expect)];
  }
}

void churn_worker::finish_kick(
  const presence::pending<presence::delivery_report>& p) {
  pr_.changes_done.fetch_add(1, std::memory_order_relaxed);
  auto r = p.get();
  if (!r) {
    ++unexpected_;
    ++outcomes_["kick failed: " + kind_of(sys_, r.error())];
    return;
  }
  for (auto& f : r->failed_pushers)
    ++outcomes_["kick: a pusher failed: " + kind_of(sys_, f.reason)];
}

void churn_worker::reap(bool block, clk::time_point deadline,
                        bool& timed_out) {
  reap_queue(changes_, block, deadline, timed_out,
             [this](change_call& c) { finish_change(c); });
  reap_queue(kicks_, block, deadline, timed_out,
             [this](auto& p) { finish_kick(p); });
}

void churn_worker::run(clk::time_point start, clk::time_point end) {
  if (model_.empty())
    return;
  bool timed_out = false;
  paced(
    start, end, opts_.changes_per_s / static_cast<double>(stride_),
    pr_.changes_issued, [this] { issue_one(); },
    [&] { reap(false, clk::now(), timed_out); });
}

bool churn_worker::drain(clk::time_point deadline) {
  bool timed_out = false;
  reap(true, deadline, timed_out);
  return !timed_out;
}

size_t churn_worker::check(std::vector<std::string>& diffs) {
  size_t bad = 0;
  for (size_t j = 0; j < model_.size(); ++j) {
    auto& id = ids_[k_ + j * stride_];
    std::vector<std::pair<std::string, std::string>> want;
    for (auto& s : model_[j])
      want.emplace_back(s.token, devices[s.device]);
    std::sort(want.begin(), want.end());
    std::vector<std::pair<std::string, std::string>> got;
    auto xs = mgr_.get_user_sessions(id);
    if (!xs) {
      ++bad;
      if (diffs.size() < 10)
        diffs.push_back(id + ": get_user_sessions failed: "
                        + sys_.render(xs.error()));
      continue;
    }
    for (auto& x : *xs)
      got.emplace_back(x.token, x.device);
    std::sort(got.begin(), got.end());
    if (got != want) {
      ++bad;
      if (diffs.size() < 10)
        diffs.push_back(id + ": " + std::to_string(got.size())
                        + " sessions in the registry, "
                        + std::to_string(want.size()) + " in the model");
    }
  }
  return bad;
}

size_t churn_worker::online_users() const {
  return static_cast<size_t>(
    std::count_if(model_.begin(), model_.end(),
                  [](const auto& xs) { return !xs.empty(); }));
}

size_t churn_worker::sessions() const {
  size_t n = 0;
  for (auto& xs : model_)
    n += xs.size();
  return n;
}

// -- pushes --------------------------------------------------------------------

push_worker::push_worker(presence::online_manager& mgr, caf::actor_system& sys,
                         const std::vector<std::string>& ids, size_t k,
                         const load_options& opts, progress& pr)
  : mgr_(mgr),
    sys_(sys),
    ids_(ids),
    k_(k),
    opts_(opts),
    pr_(pr),
    rng_(opts.seed * 1000 + 500 + k) {
}

void push_worker::reap(bool block, clk::time_point deadline,
                       bool& timed_out) {
  reap_queue(open_, block, deadline, timed_out, [this](auto& p) {
    pr_.pushes_done.fetch_add(1, std::memory_order_relaxed);
    auto r = p.get();
    if (!r) {
      ++outcomes_["push failed: " + kind_of(sys_, r.error())];
      return;
    }
    for (auto& f : r->failed_pushers)
      ++outcomes_["push: a pusher failed: " + kind_of(sys_, f.reason)];
  });
}

void push_worker::run(clk::time_point start, clk::time_point end) {
  bool timed_out = false;
  auto rate = opts_.pushes_per_s / static_cast<double>(opts_.push_threads);
  auto next_broadcast
    = start + std::chrono::duration_cast<clk::duration>(
        std::chrono::duration<double>(opts_.broadcast_every_s));
  auto pick = [this]() -> const std::string& {
    return ids_[rng_() % ids_.size()];
  };
  paced(
    start, end, rate, pr_.pushes_issued,
    [&] {
      if (k_ == 0 && opts_.broadcast_every_s > 0
          && clk::now() >= next_broadcast) {
        next_broadcast += std::chrono::duration_cast<clk::duration>(
          std::chrono::duration<double>(opts_.broadcast_every_s));
        ++broadcasts_;
        open_.push_back(mgr_.broadcast("soak broadcast"));
        return;
      }
      // One call in ten names several users.
      if (rng_() % 10 == 0) {
        std::vector<std::string> xs;
        for (size_t i = 0; i < multi_push_users; ++i)
          xs.push_back(pick());
        open_.push_back(mgr_.push_to_users(std::move(xs), "soak"));
      } else {
        open_.push_back(mgr_.push_to_user(pick(), "soak"));
      }
    },
    [&] { reap(false, clk::now(), timed_out); });
}

bool push_worker::drain(clk::time_point deadline) {
  bool timed_out = false;
  reap(true, deadline, timed_out);
  return !timed_out;
}

} // namespace soak

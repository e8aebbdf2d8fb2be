#pragma once

// One user's sessions, found by token and removed in constant time, reported
// in login order. Almost every user has a handful of sessions, which a scan
// finds fastest and which should cost no memory beyond the vector: up to
// `linear_limit` sessions the vector is kept in login order and scanned. A
// user with thousands (a shared service account, a load test, a hostile
// client) made every login, refresh and logout a pass over all of them, so n
// calls took n^2 steps. Past the limit the list switches to a large mode: a
// token_index finds a record, a removal moves the last record into the hole,
// and a login sequence number per record keeps login order for whatever
// shows it (removal callbacks, for_each_in_order, before). Iteration, data()
// and operator[] then see no particular order.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "registry/token_index.hpp"

namespace presence::detail {

template <class Session, class Alloc>
class session_list {
public:
  using vector_type = std::vector<Session, Alloc>;
  using iterator = typename vector_type::iterator;
  using const_iterator = typename vector_type::const_iterator;

  /// Past this many sessions the list switches to its large mode; it
  /// switches back at half of it, so a user at the limit does not flip.
  static constexpr size_t linear_limit = 16;

  session_list() = default;
  session_list(session_list&&) noexcept = default;
  session_list& operator=(session_list&&) noexcept = default;

  // -- reading ----------------------------------------------------------------

  size_t size() const noexcept { return xs_.size(); }
  bool empty() const noexcept { return xs_.empty(); }
  Session* data() noexcept { return xs_.data(); }
  const Session* data() const noexcept { return xs_.data(); }
  iterator begin() noexcept { return xs_.begin(); }
  iterator end() noexcept { return xs_.end(); }
  const_iterator begin() const noexcept { return xs_.begin(); }
  const_iterator end() const noexcept { return xs_.end(); }
  Session& front() { return xs_.front(); }
  const Session& front() const { return xs_.front(); }
  Session& operator[](size_t i) { return xs_[i]; }
  const Session& operator[](size_t i) const { return xs_[i]; }

  /// Whether the session at `i` logged in before the one at `j`.
  bool before(size_t i, size_t j) const noexcept {
    return large_ ? large_->seq[i] < large_->seq[j] : i < j;
  }

  /// Calls `f` with every session, in login order.
  template <class F>
  void for_each_in_order(F f) const {
    if (!large_) {
      for (auto& x : xs_)
        f(x);
      return;
    }
    for (auto i : login_order())
      f(xs_[i]);
  }

  /// The session with `token`, or end(). Callers may change a found record
  /// but not its token.
  iterator find(const std::string& token) {
    if (!large_)
      return std::find_if(xs_.begin(), xs_.end(),
                          [&](const Session& x) { return x.token == token; });
    auto pos = large_->index.find(token_index::hash(token), [&](size_t i) {
      return xs_[i].token == token;
    });
    return pos == token_index::npos ? xs_.end()
                                    : xs_.begin() + static_cast<ptrdiff_t>(pos);
  }

  // -- writing ----------------------------------------------------------------

  void reserve(size_t n) { xs_.reserve(n); }

  /// Appends `x`, whose token is not in the list, as the latest login.
  Session& push_back(Session x) {
    xs_.push_back(std::move(x));
    if (large_) {
      large_->seq.push_back(large_->next_seq++);
      large_->index.insert(token_index::hash(xs_.back().token),
                           xs_.size() - 1);
    } else if (xs_.size() > linear_limit) {
      to_large();
    }
    return xs_.back();
  }

  /// Removes the session with `token`, if any; calls `on_removed` with it
  /// before it goes. Returns 0 or 1.
  template <class OnRemoved>
  uint32_t remove_token(const std::string& token, OnRemoved on_removed) {
    auto i = find(token);
    if (i == xs_.end())
      return 0;
    on_removed(*i);
    if (!large_) {
      xs_.erase(i);
      return 1;
    }
    auto pos = static_cast<size_t>(i - xs_.begin());
    auto last = xs_.size() - 1;
    auto& lp = *large_;
    lp.index.erase(token_index::hash(token), pos);
    if (pos != last) {
      lp.index.move(token_index::hash(xs_[last].token), last, pos);
      xs_[pos] = std::move(xs_[last]);
      lp.seq[pos] = lp.seq[last];
    }
    xs_.pop_back();
    lp.seq.pop_back();
    if (xs_.size() <= linear_limit / 2)
      to_small();
    return 1;
  }

  /// Removes the sessions `pred` selects; calls `on_removed` with each
  /// before it goes, in login order. Returns how many went.
  template <class Pred, class OnRemoved>
  uint32_t remove_if(Pred pred, OnRemoved on_removed) {
    if (!large_)
      return compact(pred, on_removed);
    // Select first, then report in login order, then compact.
    std::vector<size_t> gone;
    for (size_t i = 0; i < xs_.size(); ++i)
      if (pred(std::as_const(xs_[i])))
        gone.push_back(i);
    if (gone.empty())
      return 0;
    auto& seq = large_->seq;
    std::sort(gone.begin(), gone.end(),
              [&](size_t a, size_t b) { return seq[a] < seq[b]; });
    for (auto i : gone)
      on_removed(xs_[i]);
    std::vector<bool> drop(xs_.size(), false);
    for (auto i : gone)
      drop[i] = true;
    size_t kept = 0;
    for (size_t i = 0; i < xs_.size(); ++i) {
      if (drop[i])
        continue;
      if (kept != i) {
        xs_[kept] = std::move(xs_[i]);
        seq[kept] = seq[i];
      }
      ++kept;
    }
    xs_.erase(xs_.begin() + static_cast<ptrdiff_t>(kept), xs_.end());
    seq.resize(kept);
    if (xs_.size() <= linear_limit / 2)
      to_small();
    else
      index_all();
    return static_cast<uint32_t>(gone.size());
  }

private:
  struct large_part {
    token_index index;
    /// Login sequence number per record, parallel to the vector.
    std::vector<uint64_t> seq;
    uint64_t next_seq = 0;
  };

  /// The small mode's removal: a stable compaction in login order.
  template <class Pred, class OnRemoved>
  uint32_t compact(Pred& pred, OnRemoved& on_removed) {
    size_t kept = 0;
    for (size_t i = 0; i < xs_.size(); ++i) {
      if (pred(std::as_const(xs_[i]))) {
        on_removed(xs_[i]);
      } else {
        if (kept != i)
          xs_[kept] = std::move(xs_[i]);
        ++kept;
      }
    }
    auto removed = static_cast<uint32_t>(xs_.size() - kept);
    xs_.erase(xs_.begin() + static_cast<ptrdiff_t>(kept), xs_.end());
    return removed;
  }

  std::vector<size_t> login_order() const {
    std::vector<size_t> order(xs_.size());
    std::iota(order.begin(), order.end(), size_t{0});
    auto& seq = large_->seq;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return seq[a] < seq[b]; });
    return order;
  }

  void to_large() {
    large_ = std::make_unique<large_part>();
    large_->seq.resize(xs_.size());
    std::iota(large_->seq.begin(), large_->seq.end(), uint64_t{0});
    large_->next_seq = xs_.size();
    index_all();
  }

  /// Back to a scanned vector in login order.
  void to_small() {
    auto order = login_order();
    vector_type sorted{xs_.get_allocator()};
    sorted.reserve(xs_.size());
    for (auto i : order)
      sorted.push_back(std::move(xs_[i]));
    xs_.swap(sorted);
    large_.reset();
  }

  void index_all() {
    auto& index = large_->index;
    index.clear();
    for (size_t i = 0; i < xs_.size(); ++i)
      index.insert(token_index::hash(xs_[i].token), i);
  }

  vector_type xs_;
  std::unique_ptr<large_part> large_;
};

} // namespace presence::detail

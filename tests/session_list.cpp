// session_list and its token_index: plain classes, no actor system.

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "registry/session_list.hpp"

// A namespace per test file: the tests build in unity batches.
namespace session_list_tests {

using presence::detail::session_list;

namespace {

struct rec {
  std::string token;
  int value = 0;
};

using list = session_list<rec, std::allocator<rec>>;

std::vector<std::string> tokens_of(const list& xs) {
  std::vector<std::string> result;
  xs.for_each_in_order([&](const rec& x) { result.push_back(x.token); });
  return result;
}

auto ignore = [](const rec&) {};

} // namespace

TEST_CASE("session_list finds tokens below and above the scan limit",
          "[session_list]") {
  list xs;
  auto n = list::linear_limit * 4;
  for (size_t i = 0; i < n; ++i) {
    xs.push_back(rec{"t" + std::to_string(i), static_cast<int>(i)});
    for (size_t j = 0; j <= i; ++j) {
      auto it = xs.find("t" + std::to_string(j));
      REQUIRE(it != xs.end());
      CHECK(it->value == static_cast<int>(j));
    }
    CHECK(xs.find("absent") == xs.end());
  }
}

TEST_CASE("session_list removes one token and keeps login order",
          "[session_list]") {
  list xs;
  for (int i = 0; i < 40; ++i)
    xs.push_back(rec{"t" + std::to_string(i), i});
  std::string seen;
  CHECK(xs.remove_token("t7", [&](const rec& r) { seen = r.token; }) == 1);
  CHECK(seen == "t7");
  CHECK(xs.remove_token("t7", ignore) == 0);
  CHECK(xs.size() == 39);
  auto ts = tokens_of(xs);
  CHECK(ts[6] == "t6");
  CHECK(ts[7] == "t8");
  // The last record moved into the hole; the index must follow.
  for (int i = 0; i < 40; ++i) {
    auto it = xs.find("t" + std::to_string(i));
    if (i == 7) {
      CHECK(it == xs.end());
    } else {
      REQUIRE(it != xs.end());
      CHECK(it->value == i);
    }
  }
}

TEST_CASE("session_list removal by predicate files positions again",
          "[session_list]") {
  list xs;
  for (int i = 0; i < 100; ++i)
    xs.push_back(rec{"t" + std::to_string(i), i});
  CHECK(xs.remove_if([](const rec& r) { return r.value % 3 == 0; }, ignore)
        == 34);
  for (int i = 0; i < 100; ++i) {
    auto it = xs.find("t" + std::to_string(i));
    CHECK((it == xs.end()) == (i % 3 == 0));
    if (it != xs.end())
      CHECK(it->value == i);
  }
  // Down to the scan limit and back up past it.
  xs.remove_if([](const rec& r) { return r.value > 20; }, ignore);
  CHECK(xs.size() <= list::linear_limit);
  for (int i = 100; i < 130; ++i)
    xs.push_back(rec{"t" + std::to_string(i), i});
  for (int i = 100; i < 130; ++i)
    CHECK(xs.find("t" + std::to_string(i))->value == i);
  CHECK(xs.find("t1")->value == 1);
}

TEST_CASE("session_list agrees with a plain vector under random changes",
          "[session_list]") {
  std::mt19937 rng(12);
  list xs;
  std::vector<rec> model;
  auto model_find = [&](const std::string& t) {
    return std::find_if(model.begin(), model.end(),
                        [&](const rec& r) { return r.token == t; });
  };
  auto model_pos = [&](const std::string& t) { return model_find(t) - model.begin(); };
  auto tokens_of_model = [&] {
    std::vector<std::string> result;
    for (auto& m : model)
      result.push_back(m.token);
    return result;
  };
  bool was_large = false;
  int back_to_small = 0;
  for (int step = 0; step < 40000; ++step) {
    // Few distinct tokens for a while, then many: the list crosses its
    // limit both ways.
    auto range = (step / 5000) % 2 == 0 ? 6u : 300u;
    auto t = "k" + std::to_string(rng() % range);
    switch (rng() % 4) {
      case 0:
      case 1: // add if new, else change the record in place
        if (auto it = xs.find(t); it != xs.end()) {
          it->value = step;
          model_find(t)->value = step;
        } else {
          xs.push_back(rec{t, step});
          model.push_back(rec{t, step});
        }
        break;
      case 2: {
        auto want = model_find(t) != model.end() ? 1u : 0u;
        if (want)
          model.erase(model_find(t));
        REQUIRE(xs.remove_token(t, ignore) == want);
        break;
      }
      default: { // a removal by predicate (a device, an expiry): rare while
                 // the list grows, often while it shrinks
        if (range > 6 && rng() % 8 != 0)
          break;
        auto m = static_cast<int>(rng() % 7 + 2);
        auto salt = static_cast<int>(rng() % 8);
        auto pred = [m, salt](const rec& r) { return (r.value + salt) % m == 0; };
        // Removed ones are reported in login order.
        std::vector<std::string> want, got;
        for (auto& r : model)
          if (pred(r))
            want.push_back(r.token);
        model.erase(std::remove_if(model.begin(), model.end(), pred),
                    model.end());
        xs.remove_if(pred, [&](const rec& r) { got.push_back(r.token); });
        REQUIRE(got == want);
      }
    }
    REQUIRE(xs.size() == model.size());
    if (xs.size() > list::linear_limit)
      was_large = true;
    else if (was_large && xs.size() <= list::linear_limit / 2)
      back_to_small += 1, was_large = false;
    if (step % 97 == 0) {
      REQUIRE(tokens_of(xs) == tokens_of_model());
      for (auto& m : model) {
        auto it = xs.find(m.token);
        REQUIRE(it != xs.end());
        REQUIRE(it->value == m.value);
      }
      for (size_t i = 0; i + 1 < xs.size(); ++i) {
        auto a = model_pos(xs[i].token), b = model_pos(xs[i + 1].token);
        REQUIRE(xs.before(i, i + 1) == (a < b));
      }
    }
  }
  CHECK(back_to_small > 0);
}

} // namespace session_list_tests

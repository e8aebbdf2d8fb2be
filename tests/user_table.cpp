// The registry's user table against a reference map, under random inserts,
// erases and lookups (its index uses backward-shift deletion, which is easy
// to get subtly wrong).

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <unordered_map>

#include "registry/parked_op.hpp"
#include "registry/user_table.hpp"

// A namespace per test file: the tests build in unity batches.
namespace user_table_tests {

using presence::detail::session_record;
using presence::detail::user_table;

namespace {

session_record record(const std::string& token) {
  return session_record{token, "web", {}, {}, nullptr};
}

} // namespace

TEST_CASE("user table agrees with a reference map under random churn",
          "[table]") {
  user_table table;
  std::unordered_map<std::string, std::string> reference; // login -> token
  std::mt19937 rng{42};
  // A small key space forces long probe runs, wrap-around and many erases.
  std::uniform_int_distribution<int> key{0, 3000};
  std::uniform_int_distribution<int> action{0, 9};
  for (int step = 0; step < 200000; ++step) {
    auto login = "user" + std::to_string(key(rng));
    auto a = action(rng);
    auto e = table.find(login);
    auto r = reference.find(login);
    REQUIRE((e != nullptr) == (r != reference.end()));
    if (a < 5) {
      if (e == nullptr) {
        auto token = "tok" + std::to_string(step);
        table.insert(login, user_table::hash(login), {}, record(token));
        reference.emplace(login, token);
      }
    } else if (a < 9) {
      if (e != nullptr) {
        REQUIRE(e->sessions.size() == 1);
        CHECK(e->sessions[0].token == r->second);
        table.erase(*e);
        reference.erase(r);
      }
    }
    REQUIRE(table.user_count() == reference.size());
    REQUIRE(table.session_count() == reference.size());
  }
  // Every entry is findable and maps to its own record.
  for (auto& [login, token] : reference) {
    auto e = table.find(login);
    REQUIRE(e != nullptr);
    CHECK(e->login_id == login);
    CHECK(e->sessions[0].token == token);
  }
  // Entries are dense: the table holds exactly the reference's users.
  CHECK(table.entries().size() == reference.size());
}

TEST_CASE("session records convert to online_user and back", "[table]") {
  auto user = presence::make_online_user("alice", "t1", "ios",
                                         {{"app", "1.2"}});
  auto rec = session_record::from(presence::online_user{user});
  CHECK(rec.metadata != nullptr);
  CHECK(rec.to_online_user("alice") == user);
  auto bare = session_record::from(
    presence::make_online_user("bob", "t2", "web"));
  CHECK(bare.metadata == nullptr);
  CHECK(bare.to_online_user("bob").metadata.empty());
}

} // namespace user_table_tests

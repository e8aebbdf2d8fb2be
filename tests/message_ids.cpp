// message_ids: a plain class, no actor system.

#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "registry/message_ids.hpp"

// A namespace per test file: the tests build in unity batches.
namespace message_ids_tests {

using presence::detail::message_ids;

TEST_CASE("message ids are unique, prefixed and short", "[message_ids]") {
  message_ids ids{"PREFIX01"};
  std::set<std::string> seen;
  for (int i = 0; i < 100000; ++i) {
    auto id = ids.next();
    REQUIRE(id.compare(0, 8, "PREFIX01") == 0);
    // Inline in std::string (15 characters with libstdc++): no allocation.
    REQUIRE(id.size() <= 15);
    REQUIRE(seen.insert(id).second);
  }
}

TEST_CASE("a registry prefix is 8 base64url characters and differs between "
          "registries", "[message_ids]") {
  std::set<std::string> prefixes;
  for (uint64_t actor = 1; actor <= 100; ++actor) {
    auto p = message_ids::make_prefix("node", actor);
    REQUIRE(p.size() == 8);
    for (auto c : p)
      REQUIRE(std::string{message_ids::digits}.find(c) != std::string::npos);
    prefixes.insert(p);
  }
  CHECK(prefixes.size() == 100);
}

TEST_CASE("stamp keeps an id and a timestamp the caller set", "[message_ids]") {
  message_ids ids;
  auto msg = presence::make_text_message("x");
  msg.message_id = "mine";
  auto ts = caf::timestamp{std::chrono::seconds(42)};
  msg.timestamp = ts;
  ids.stamp(msg);
  CHECK(msg.message_id == "mine");
  CHECK(msg.timestamp == ts);
  auto other = presence::make_text_message("y");
  ids.stamp(other);
  CHECK_FALSE(other.message_id.empty());
  CHECK(other.timestamp.time_since_epoch().count() != 0);
}

} // namespace message_ids_tests

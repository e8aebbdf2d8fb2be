// logout_list: a long mark_offline_users list in chunks, and the users a
// later call takes out of it.

#include <catch2/catch.hpp>

#include "libpresence/src/logout_list.hpp"
#include "presence/detail/protocol.hpp"

// A namespace per test file: the tests build in unity batches.
namespace logout_list_tests {

using namespace presence::detail;

namespace {

std::vector<std::string> ids(size_t n, const std::string& prefix) {
  std::vector<std::string> xs;
  for (size_t i = 0; i < n; ++i)
    xs.push_back(prefix + std::to_string(i));
  return xs;
}

bool take(logout_list& l, const std::string& id) {
  return l.take(login_hash_of(id), id);
}

} // namespace

TEST_CASE("a list comes out in chunks, in order", "[logout_list]") {
  const auto n = 2 * logout_list::chunk_size + 5;
  logout_list l{ids(n, "u")};
  auto a = l.next_chunk();
  REQUIRE(a.size() == logout_list::chunk_size);
  CHECK(a.front() == "u0");
  auto b = l.next_chunk();
  REQUIRE(b.size() == logout_list::chunk_size);
  CHECK(b.front() == "u" + std::to_string(logout_list::chunk_size));
  CHECK_FALSE(l.all_sent());
  auto c = l.next_chunk();
  REQUIRE(c.size() == 5);
  CHECK(c.back() == "u" + std::to_string(n - 1));
  CHECK(l.all_sent());
  CHECK(l.next_chunk().empty());
}

TEST_CASE("a user listed twice is sent once", "[logout_list]") {
  logout_list l{{"a", "b", "a", "c", "b"}};
  CHECK(l.next_chunk() == std::vector<std::string>{"a", "b", "c"});
  CHECK(l.all_sent());
}

TEST_CASE("a user taken out is not sent again, and a sent one cannot be "
          "taken",
          "[logout_list]") {
  logout_list l{ids(3000, "u")};
  CHECK(take(l, "u2500"));
  CHECK_FALSE(take(l, "u2500"));
  CHECK_FALSE(take(l, "nobody"));
  auto a = l.next_chunk();
  CHECK_FALSE(take(l, "u0"));
  CHECK(take(l, "u1500"));
  auto b = l.next_chunk();
  auto c = l.next_chunk();
  CHECK(l.all_sent());
  CHECK(a.size() + b.size() + c.size() == 2998);
  for (auto* chunk : {&b, &c})
    for (auto& id : *chunk)
      CHECK((id != "u2500" && id != "u1500"));
}

TEST_CASE("a list whose users were all taken is sent", "[logout_list]") {
  logout_list l{{"a", "b"}};
  CHECK(take(l, "b"));
  CHECK(take(l, "a"));
  CHECK(l.all_sent());
  CHECK(l.next_chunk().empty());
}

} // namespace logout_list_tests

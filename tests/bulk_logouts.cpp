// bulk_logouts: a mark_offline_users list cut into chunks of mark_offline_all
// operations, oldest list first, and the logouts a later call on a listed
// user takes out of it.

#include <catch2/catch.hpp>

#include "registry/bulk_logouts.hpp"

// A namespace per test file: the tests build in unity batches.
namespace bulk_logouts_tests {

using namespace presence;
using namespace presence::detail;

namespace {

std::vector<std::string> ids(size_t n, const std::string& prefix) {
  std::vector<std::string> xs;
  for (size_t i = 0; i < n; ++i)
    xs.push_back(prefix + std::to_string(i));
  return xs;
}

/// The login ids `take` hands out for `id`, with their merge ids.
std::vector<std::pair<std::string, uint64_t>> taken(bulk_logouts& q,
                                                    const std::string& id) {
  std::vector<std::pair<std::string, uint64_t>> xs;
  q.take(login_hash_of(id), id, [&](client_op&& op, uint64_t merge_id) {
    CHECK(op.kind == op_kind::mark_offline_all);
    CHECK(op.login_hash == login_hash_of(op.user.login_id));
    xs.emplace_back(op.user.login_id, merge_id);
  });
  return xs;
}

} // namespace

TEST_CASE("a list comes out in chunks of one user's logout each",
          "[bulk_logouts]") {
  bulk_logouts q;
  const auto n = bulk_logouts::chunk_size + 3;
  CHECK(q.add(ids(n, "u"), origin::typed_request) == n);
  q.set_merge_id(7);
  std::vector<client_op> chunk;
  uint64_t id = 0;
  CHECK(q.next_chunk(chunk, id));
  CHECK(id == 7);
  REQUIRE(chunk.size() == bulk_logouts::chunk_size);
  CHECK(chunk[0].kind == op_kind::mark_offline_all);
  CHECK(chunk[0].user.login_id == "u0");
  CHECK(chunk[0].login_hash == login_hash_of("u0"));
  CHECK(chunk[0].source == origin::typed_request);
  CHECK(chunk.back().user.login_id
        == "u" + std::to_string(bulk_logouts::chunk_size - 1));
  CHECK_FALSE(q.next_chunk(chunk, id));
  REQUIRE(chunk.size() == 3);
  CHECK(chunk[2].user.login_id == "u" + std::to_string(n - 1));
  CHECK(q.empty());
  CHECK_FALSE(q.next_chunk(chunk, id));
  CHECK(chunk.empty());
}

TEST_CASE("a user listed twice is logged out once", "[bulk_logouts]") {
  bulk_logouts q;
  CHECK(q.add({"a", "b", "a", "c", "b"}, origin::own_client) == 3);
  q.set_merge_id(1);
  std::vector<client_op> chunk;
  uint64_t id = 0;
  CHECK_FALSE(q.next_chunk(chunk, id));
  REQUIRE(chunk.size() == 3);
  CHECK(chunk[0].user.login_id == "a");
  CHECK(chunk[1].user.login_id == "b");
  CHECK(chunk[2].user.login_id == "c");
}

TEST_CASE("a later call on a listed user takes its logout out of every list "
          "that has not reached it, oldest first",
          "[bulk_logouts]") {
  bulk_logouts q;
  q.add({"a", "b", "c"}, origin::own_client);
  q.set_merge_id(1);
  q.add({"c", "d"}, origin::own_client);
  q.set_merge_id(2);
  using taken_list = std::vector<std::pair<std::string, uint64_t>>;
  CHECK(taken(q, "b") == taken_list{{"b", 1}});
  CHECK(taken(q, "b").empty());
  CHECK(taken(q, "c") == (taken_list{{"c", 1}, {"c", 2}}));
  CHECK(taken(q, "nobody").empty());
  // The chunks skip what was taken.
  std::vector<client_op> chunk;
  uint64_t id = 0;
  CHECK(q.next_chunk(chunk, id));
  CHECK(id == 1);
  REQUIRE(chunk.size() == 1);
  CHECK(chunk[0].user.login_id == "a");
  // Once its chunk took a user, a call on it finds nothing.
  CHECK(taken(q, "a").empty());
  CHECK_FALSE(q.next_chunk(chunk, id));
  CHECK(id == 2);
  REQUIRE(chunk.size() == 1);
  CHECK(chunk[0].user.login_id == "d");
  CHECK(q.empty());
}

TEST_CASE("a list whose users were all taken leaves the queue",
          "[bulk_logouts]") {
  bulk_logouts q;
  q.add({"a"}, origin::own_client);
  q.set_merge_id(1);
  q.add({"b"}, origin::own_client);
  q.set_merge_id(2);
  CHECK(taken(q, "a").size() == 1);
  std::vector<client_op> chunk;
  uint64_t id = 0;
  CHECK(q.next_chunk(chunk, id));
  CHECK(chunk.empty());
  CHECK_FALSE(q.next_chunk(chunk, id));
  CHECK(id == 2);
  REQUIRE(chunk.size() == 1);
  CHECK(chunk[0].user.login_id == "b");
}

} // namespace bulk_logouts_tests

// A batch of ops with its keys prefetched (cluster/prefetched_ops.hpp):
// every op is visited once, in order, with its own key and hash, whatever
// the batch's size against the prefetch distance, and when the visit
// changes the set the prefetches read.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cluster/prefetched_ops.hpp"

#include "replication_values.hpp"

// A namespace per test file: the tests build in unity batches.
namespace prefetched_ops_tests {

using namespace presence::cluster;

using test::sess;

namespace {

std::vector<session_op> removals(size_t first, size_t n) {
  std::vector<session_op> ops;
  for (auto i = first; i < first + n; ++i) {
    session_op op{op_kind::remove, {}};
    op.session.login_id = "user" + std::to_string(i);
    op.session.token = "tok" + std::to_string(i) + "-web";
    ops.push_back(std::move(op));
  }
  return ops;
}

} // namespace

TEST_CASE("each op is visited once, in order, with its key and hash",
          "[prefetched_ops]") {
  session_set set;
  for (size_t i = 0; i < 300; ++i)
    set.put(packed_session{sess("user" + std::to_string(i),
                                "tok" + std::to_string(i) + "-web", 1)});
  prefetched_ops prefetch;
  constexpr auto d = prefetched_ops::distance;
  // Sizes around the distances, largest first: a later, smaller batch must
  // not see the keys of an earlier one.
  for (size_t n : {4 * d + 3, 2 * d + 1, 2 * d, d + 1, d, d - 1, size_t{1},
                   size_t{0}}) {
    auto ops = removals(n, n);
    std::vector<size_t> seen;
    prefetch.run(set, ops, [&](size_t i, std::string_view key,
                               uint32_t hash) {
      seen.push_back(i);
      auto& x = ops[i].session;
      CHECK(key == packed_session::key_of(x.login_id, x.token));
      CHECK(hash == packed_session::hash_of(key));
    });
    std::vector<size_t> all;
    for (size_t i = 0; i < n; ++i)
      all.push_back(i);
    CHECK(seen == all);
  }
}

TEST_CASE("ops that erase while later ones are prefetched",
          "[prefetched_ops]") {
  // Erasing moves records and rewrites slots the prefetches of the next
  // ops read; the set must end as erasing one by one leaves it.
  session_set set;
  session_set expected;
  for (size_t i = 0; i < 2000; ++i) {
    packed_session p{sess("user" + std::to_string(i),
                          "tok" + std::to_string(i) + "-web", 1)};
    expected.put(p);
    set.put(std::move(p));
  }
  auto ops = removals(500, 1000);
  // An op twice and one unknown key: found once, then not.
  ops.push_back(ops.front());
  ops.push_back(removals(9000, 1).front());
  size_t erased = 0;
  prefetched_ops prefetch;
  prefetch.run(set, ops, [&](size_t, std::string_view key, uint32_t hash) {
    erased += set.erase(key, hash, nullptr) ? 1 : 0;
  });
  for (auto& op : ops)
    expected.erase(packed_session::key_of(op.session.login_id,
                                          op.session.token));
  CHECK(erased == 1000);
  CHECK(set.size() == 1000);
  CHECK(set.sorted() == expected.sorted());
  for (size_t i = 0; i < 2000; ++i) {
    auto k = packed_session::key_of("user" + std::to_string(i),
                                    "tok" + std::to_string(i) + "-web");
    CHECK((set.find(k) != nullptr) == (i < 500 || i >= 1500));
  }
}

} // namespace prefetched_ops_tests

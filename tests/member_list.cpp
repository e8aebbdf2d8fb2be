// member_list: a plain class template, no actor system (a handle only needs
// an id()).

#include <catch2/catch.hpp>

#include <vector>

#include "registry/member_list.hpp"

// A namespace per test file: the tests build in unity batches.
namespace member_list_tests {

using presence::detail::member_list;

namespace {

struct handle {
  caf::actor_id value;
  int tag = 0;

  caf::actor_id id() const {
    return value;
  }
};

std::vector<caf::actor_id> ids_of(const member_list<handle>& xs) {
  std::vector<caf::actor_id> result;
  for (auto& m : xs)
    result.push_back(m.id);
  return result;
}

} // namespace

TEST_CASE("a member is added once", "[member_list]") {
  member_list<handle> xs;
  CHECK(xs.empty());
  CHECK(xs.add(handle{7, 1}));
  CHECK_FALSE(xs.add(handle{7, 2}));
  CHECK(xs.size() == 1);
  CHECK_FALSE(xs.empty());
  // The first handle stays.
  CHECK(xs.begin()->handle.tag == 1);
  CHECK(xs.begin()->id == 7);
}

TEST_CASE("removing a non-member changes nothing", "[member_list]") {
  member_list<handle> xs;
  CHECK_FALSE(xs.remove(3));
  xs.add(handle{1});
  CHECK_FALSE(xs.remove(3));
  CHECK(ids_of(xs) == std::vector<caf::actor_id>{1});
  CHECK(xs.remove(1));
  CHECK_FALSE(xs.remove(1));
  CHECK(xs.empty());
}

TEST_CASE("members keep subscription order", "[member_list]") {
  member_list<handle> xs;
  for (caf::actor_id id : {5, 2, 9, 4})
    xs.add(handle{id});
  CHECK(ids_of(xs) == std::vector<caf::actor_id>{5, 2, 9, 4});
  CHECK(xs.remove(2));
  CHECK(ids_of(xs) == std::vector<caf::actor_id>{5, 9, 4});
  xs.add(handle{2});
  CHECK(ids_of(xs) == std::vector<caf::actor_id>{5, 9, 4, 2});
}

TEST_CASE("contains knows members by id", "[member_list]") {
  member_list<handle> xs;
  CHECK_FALSE(xs.contains(1));
  xs.add(handle{1});
  xs.add(handle{2});
  CHECK(xs.contains(1));
  CHECK(xs.contains(2));
  CHECK_FALSE(xs.contains(3));
  xs.remove(1);
  CHECK_FALSE(xs.contains(1));
  CHECK(xs.contains(2));
}

} // namespace member_list_tests

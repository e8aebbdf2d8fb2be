// Session metadata: update_metadata replaces it, events and queries show it.

#include "deterministic.hpp"

// A namespace per test file: the tests build in unity batches.
namespace metadata_tests {

using namespace presence;
using namespace test;
using namespace std::chrono_literals;

TEST_CASE("update_metadata replaces a session's metadata") {
  deterministic t;
  t.online("ann", "p");
  auto r = t.call<change_result>(update_metadata_atom::value,
                                 std::string{"ann"}, std::string{"p"},
                                 metadata_map{{"room", "42"}});
  CHECK(r.status == change_status::updated);
  auto s = t.call<std::vector<online_user>>(user_sessions_atom::value,
                                            std::string{"ann"});
  REQUIRE(s.size() == 1);
  CHECK(s[0].metadata == metadata_map{{"room", "42"}});
  CHECK(t.call<change_result>(update_metadata_atom::value, std::string{"ann"},
                              std::string{"zz"}, metadata_map{})
          .status
        == change_status::unknown_token);
  CHECK(t.call<change_result>(update_metadata_atom::value, std::string{"no"},
                              std::string{"p"}, metadata_map{})
          .status
        == change_status::unknown_user);
}

} // namespace metadata_tests

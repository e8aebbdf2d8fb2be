// The stats report's counts.

#include "deterministic.hpp"

// A namespace per test file: the tests build in unity batches.
namespace stats_tests {

using namespace presence;
using namespace test;
using namespace std::chrono_literals;

TEST_CASE("stats count users, sessions, pushes and deliveries") {
  deterministic t;
  t.online("a", "1");
  t.online("a", "2");
  t.online("b", "1");
  t.call<delivery_report>(broadcast_atom::value, make_text_message("x"));
  auto s = t.stats();
  CHECK(s.users == 2);
  CHECK(s.sessions == 3);
  CHECK(s.pushes == 1);
  CHECK(s.deliveries == 3);
  // A single node owns its whole view.
  CHECK(s.local_users == 2);
  CHECK(s.local_sessions == 3);
  CHECK(s.nodes == 1);
}

} // namespace stats_tests

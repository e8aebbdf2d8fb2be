// presence's errors render readably whatever the actor system's config: never
// as error(<code>, 'presence').

#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace error_rendering_tests {

using namespace presence;
using namespace test;

namespace {

bool contains(const std::string& str, const std::string& part) {
  return str.find(part) != std::string::npos;
}

std::vector<presence::error> every_error() {
  std::vector<presence::error> result;
  for (auto i = 1; i <= static_cast<int>(error::cluster_already_attached);
       ++i)
    result.push_back(static_cast<presence::error>(i));
  return result;
}

} // namespace

TEST_CASE("an unconfigured system renders system_not_configured readably",
          "[error][config]") {
  caf::actor_system_config cfg; // without presence::configure
  caf::actor_system sys{cfg};
  online_manager m{sys};
  auto err = m.status();
  REQUIRE(is(err, error::system_not_configured));
  for (auto& str : {caf::to_string(err), sys.render(err), render(err)}) {
    INFO(str);
    CHECK(contains(str, "system_not_configured"));
    CHECK(contains(str, "presence::configure"));
  }
  CHECK(render(err) == "presence::" + to_string(error::system_not_configured));
  CHECK(render(err_of(m.get_online_count())) == render(err));
}

TEST_CASE("presence::render needs no registered error category",
          "[error][config]") {
  caf::actor_system_config cfg; // without presence::configure
  caf::actor_system sys{cfg};
  for (auto x : every_error()) {
    auto name = to_string(x);
    INFO(name);
    CHECK(render(make_error(x)) == "presence::" + name);
    CHECK(render(make_error(x, "why")) == "presence::" + name + " (why)");
    CHECK_FALSE(contains(render(make_error(x)), "error("));
  }
  // Other categories render as CAF renders them.
  CHECK(render(caf::make_error(caf::sec::request_timeout))
        == "system_error(request_timeout)");
  CHECK(render(caf::make_error(caf::exit_reason::user_shutdown))
        == "exit_reason(user_shutdown)");
  CHECK(render(caf::error{}) == caf::actor_system_config::render(caf::error{}));
}

TEST_CASE("a configured system renders presence errors as presence::render",
          "[error][config]") {
  env e;
  for (auto x : every_error()) {
    INFO(to_string(x));
    CHECK(e.sys.render(make_error(x)) == render(make_error(x)));
    CHECK(e.sys.render(make_error(x, "ctx")) == render(make_error(x, "ctx")));
  }
}

} // namespace error_rendering_tests

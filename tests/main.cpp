// The Catch2 main of presence_tests. Each TEST_CASE is registered as its own
// ctest (catch_discover_tests) with a timeout, because a broken actor test can
// hang in ~actor_system.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

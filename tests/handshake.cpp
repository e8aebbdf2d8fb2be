// The join's hello (cluster/handshake.hpp): check_hello accepts a peer of
// the same cluster and refuses every mismatch with join_refused and a text
// that names what differs, with both values where there are two.

#include <catch2/catch.hpp>

#include <string>

#include <caf/message.hpp>

#include "cluster/handshake.hpp"
#include "presence/cluster_error.hpp"

// A namespace per test file: the tests build in unity batches.
namespace handshake_tests {

using namespace presence;
using namespace presence::cluster;

namespace {

hello make_hello(std::string node, incarnation_id incarnation) {
  hello h;
  h.cluster = "prod";
  h.self = node_address{std::move(node), "10.0.0.1", 4242, incarnation};
  h.heartbeat_ms = 500;
  h.connection_timeout_ms = 2000;
  return h;
}

/// The refusal's text; fails the test unless `err` is a join_refused.
std::string refusal(const caf::error& err) {
  REQUIRE(is(err, cluster_error::join_refused));
  auto& ctx = err.context();
  REQUIRE(ctx.match_elements<std::string>());
  return ctx.get_as<std::string>(0);
}

using Catch::Matchers::Contains;

} // namespace

TEST_CASE("a matching hello is accepted", "[cluster][handshake]") {
  auto mine = make_hello("a", 11);
  auto theirs = make_hello("b", 22);
  theirs.self.host = "10.0.0.2";
  CHECK(!check_hello(mine, theirs));
  // The same host and port as ours is fine: only the name identifies a node
  // (several nodes may sit behind one address in tests).
  CHECK(!check_hello(mine, make_hello("b", 11)));
  // UTF-8 names up to the id bound pass.
  theirs.self.node = "n\xc3\xb6" + std::string(200, 'x');
  CHECK(!check_hello(mine, theirs));
  theirs.self.node = std::string(256, 'x');
  CHECK(!check_hello(mine, theirs));
}

TEST_CASE("each setting that differs is refused, naming both values",
          "[cluster][handshake]") {
  auto mine = make_hello("a", 11);
  SECTION("cluster name") {
    auto theirs = make_hello("b", 22);
    theirs.cluster = "staging";
    auto text = refusal(check_hello(mine, theirs));
    CHECK_THAT(text, Contains("another cluster"));
    CHECK_THAT(text, Contains("'prod'") && Contains("'staging'"));
  }
  SECTION("protocol version") {
    auto theirs = make_hello("b", 22);
    theirs.version = protocol_version + 6;
    auto text = refusal(check_hello(mine, theirs));
    CHECK_THAT(text, Contains("protocol version"));
    CHECK_THAT(text, Contains("ours " + std::to_string(protocol_version))
                       && Contains("theirs "
                                   + std::to_string(protocol_version + 6)));
  }
  SECTION("heartbeat interval") {
    auto theirs = make_hello("b", 22);
    theirs.heartbeat_ms = 750;
    auto text = refusal(check_hello(mine, theirs));
    CHECK_THAT(text, Contains("heartbeat"));
    CHECK_THAT(text, Contains("ours 500, theirs 750"));
  }
  SECTION("connection timeout") {
    auto theirs = make_hello("b", 22);
    theirs.connection_timeout_ms = 3000;
    auto text = refusal(check_hello(mine, theirs));
    CHECK_THAT(text, Contains("connection-timeout"));
    CHECK_THAT(text, Contains("ours 2000, theirs 3000"));
  }
  SECTION("heartbeats on one side only") {
    auto theirs = make_hello("b", 22);
    theirs.heartbeat_ms = 0;
    theirs.connection_timeout_ms = 0;
    auto text = refusal(check_hello(mine, theirs));
    CHECK_THAT(text, Contains("ours 500, theirs 0")
                       && Contains("ours 2000, theirs 0"));
  }
}

TEST_CASE("a malformed node name or address is refused",
          "[cluster][handshake]") {
  auto mine = make_hello("a", 11);
  auto theirs = make_hello("b", 22);
  SECTION("empty node name") {
    theirs.self.node.clear();
    CHECK_THAT(refusal(check_hello(mine, theirs)),
               Contains("malformed node name"));
  }
  SECTION("overlong node name") {
    theirs.self.node = std::string(257, 'x');
    CHECK_THAT(refusal(check_hello(mine, theirs)),
               Contains("malformed node name"));
  }
  SECTION("node name not UTF-8") {
    theirs.self.node = "b\xff";
    CHECK_THAT(refusal(check_hello(mine, theirs)),
               Contains("malformed node name"));
  }
  SECTION("empty host") {
    theirs.self.host.clear();
    CHECK_THAT(refusal(check_hello(mine, theirs)),
               Contains("malformed address of node 'b'"));
  }
  SECTION("overlong host") {
    theirs.self.host = std::string(257, 'h');
    CHECK_THAT(refusal(check_hello(mine, theirs)),
               Contains("malformed address of node 'b'"));
  }
  SECTION("host not UTF-8") {
    theirs.self.host = "\xc3(";
    CHECK_THAT(refusal(check_hello(mine, theirs)),
               Contains("malformed address of node 'b'"));
  }
  SECTION("port 0") {
    theirs.self.port = 0;
    CHECK_THAT(refusal(check_hello(mine, theirs)),
               Contains("malformed address of node 'b'"));
  }
  SECTION("incarnation 0") {
    theirs.self.incarnation = 0;
    CHECK_THAT(refusal(check_hello(mine, theirs)),
               Contains("node 'b' has no incarnation"));
  }
  SECTION("malformed cluster name") {
    theirs.cluster = "prod\xff";
    CHECK_THAT(refusal(check_hello(mine, theirs)),
               Contains("malformed cluster name"));
  }
}

TEST_CASE("this node's own name is refused: a clash or itself",
          "[cluster][handshake]") {
  auto mine = make_hello("a", 11);
  SECTION("another incarnation: two nodes share a name") {
    auto text = refusal(check_hello(mine, make_hello("a", 12)));
    CHECK_THAT(text, Contains("another node uses this node's name 'a'"));
    CHECK_THAT(text, Contains("ours 11, theirs 12"));
  }
  SECTION("the same incarnation: a connection to itself") {
    CHECK_THAT(refusal(check_hello(mine, make_hello("a", 11))),
               Contains("a connection to this node itself"));
  }
}

} // namespace handshake_tests

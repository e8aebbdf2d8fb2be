// The packed form of a delta's ops and a chunk's sessions
// (cluster/wire_codec.cpp): what is packed unpacks unchanged, timestamps
// are little-endian whatever the host, and bytes from a peer that are not
// that form fail without a crash or an allocation past the bytes given;
// an oversized message reads one item past the bound, for wire_check to
// refuse. Seeded, no timing.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "cluster/replication.hpp"
#include "cluster/wire_check.hpp"
#include "presence/error.hpp"

// A namespace per test file: the tests build in unity batches.
namespace wire_codec_tests {

using namespace presence;
using namespace presence::cluster;

namespace {

caf::timestamp at_ns(int64_t ns) {
  return caf::timestamp{caf::timespan{ns}};
}

replica_session session(std::string login_id, std::string token) {
  return {std::move(login_id), std::move(token), "web", at_ns(1'000'000'007),
          at_ns(-5), {{"region", "eu"}, {"app", "chat"}}};
}

std::vector<session_op> sample_ops() {
  std::vector<session_op> ops;
  ops.push_back({op_kind::upsert, session("alice", "t1")});
  ops.push_back({op_kind::remove, {}});
  ops.back().session.login_id = "bob";
  ops.back().session.token = "t2";
  ops.push_back({op_kind::upsert, session("ünï", std::string(300, 'x'))});
  ops.back().session.metadata.clear();
  return ops;
}

/// A varint, as the packed form writes counts and lengths.
std::string varint(uint64_t x) {
  std::string out;
  while (x >= 0x80) {
    out.push_back(static_cast<char>((x & 0x7f) | 0x80));
    x >>= 7;
  }
  out.push_back(static_cast<char>(x));
  return out;
}

std::string removal_bytes(const std::string& login_id,
                          const std::string& token) {
  return std::string(1, static_cast<char>(op_kind::remove))
         + varint(login_id.size()) + login_id + varint(token.size()) + token;
}

} // namespace

TEST_CASE("packed ops and sessions unpack unchanged", "[wire_codec]") {
  auto ops = sample_ops();
  std::vector<session_op> ops2;
  REQUIRE(!unpack(pack(ops), ops2));
  CHECK(ops2 == ops);
  std::vector<replica_session> xs{session("a", "t"), session("b", "u"), {}};
  std::vector<replica_session> xs2;
  REQUIRE(!unpack(pack(xs), xs2));
  CHECK(xs2 == xs);
  SECTION("empty lists") {
    ops.clear();
    ops2.push_back(sample_ops()[0]);
    REQUIRE(!unpack(pack(ops), ops2));
    CHECK(ops2.empty());
    xs.clear();
    REQUIRE(!unpack(pack(xs), xs2));
    CHECK(xs2.empty());
  }
  SECTION("a removal carries its key only") {
    std::vector<session_op> one{{op_kind::remove, session("bob", "t2")}};
    CHECK(pack(one) == varint(1) + removal_bytes("bob", "t2"));
    REQUIRE(!unpack(pack(one), ops2));
    CHECK(ops2[0].session == replica_session{"bob", "t2", "", {}, {}, {}});
  }
}

TEST_CASE("packed timestamps are little-endian on every host",
          "[wire_codec]") {
  replica_session x{"a", "b", "", at_ns(0x0102030405060708), at_ns(-1), {}};
  auto bytes = pack(std::vector<replica_session>{x});
  // count, "a", "b", "" and then connect_time, last_activity, no metadata.
  auto expected = std::string{"\x01\x01" "a" "\x01" "b" "\x00", 6}
                  + std::string{"\x08\x07\x06\x05\x04\x03\x02\x01", 8}
                  + std::string(8, '\xff') + std::string(1, '\0');
  CHECK(bytes == expected);
}

TEST_CASE("bytes that are not the packed form fail cleanly", "[wire_codec]") {
  std::vector<session_op> ops;
  std::vector<replica_session> xs;
  SECTION("every truncation") {
    auto bytes = pack(sample_ops());
    for (size_t n = 0; n < bytes.size(); ++n)
      CHECK(unpack(bytes.substr(0, n), ops));
    auto chunk = pack(std::vector<replica_session>{session("a", "t")});
    for (size_t n = 0; n < chunk.size(); ++n)
      CHECK(unpack(chunk.substr(0, n), xs));
  }
  SECTION("trailing bytes") {
    CHECK(unpack(pack(sample_ops()) + "x", ops));
    CHECK(unpack(pack(std::vector<replica_session>{}) + "x", xs));
  }
  SECTION("a length past the end") {
    CHECK(unpack(varint(1) + "\x01" + varint(1'000'000) + "ab", ops));
  }
  SECTION("a count the bytes cannot hold, without allocating it") {
    CHECK(unpack(varint(uint64_t{1} << 40) + removal_bytes("a", "b"), ops));
    CHECK(unpack(varint(uint64_t{1} << 40), xs));
    CHECK(unpack(std::string(12, '\xff'), ops)); // a varint past 64 bits
  }
  SECTION("random bytes") {
    std::mt19937 rng{7};
    for (int i = 0; i < 2000; ++i) {
      std::string bytes(rng() % 64, '\0');
      for (auto& c : bytes)
        c = static_cast<char>(rng());
      // Either outcome; what matters is no crash (and ASan's word on it).
      (void) unpack(bytes, ops);
      (void) unpack(bytes, xs);
    }
  }
}

TEST_CASE("an oversized or odd delta reaches wire_check", "[wire_codec]") {
  std::vector<session_op> ops;
  SECTION("one op past max_ops_per_delta is read, the rest is not") {
    std::string bytes = varint(max_ops_per_delta + 10);
    for (size_t i = 0; i < max_ops_per_delta + 10; ++i)
      bytes += removal_bytes("u", "t");
    REQUIRE(!unpack(bytes, ops));
    CHECK(ops.size() == max_ops_per_delta + 1);
    owner_delta d{"node-a", 1, 1, ops};
    CHECK(presence::is(check_delta(d, limits{}), error::malformed_message));
  }
  SECTION("a kind off the enum is kept for check_op") {
    auto bytes = pack(sample_ops());
    bytes[1] = 7; // the first op's kind: its whole session follows
    REQUIRE(!unpack(bytes, ops));
    CHECK(static_cast<int>(ops[0].kind) == 7);
    CHECK(ops[0].session == sample_ops()[0].session);
    CHECK(presence::is(check_op(ops[0], limits{}), error::malformed_message));
  }
}

} // namespace wire_codec_tests

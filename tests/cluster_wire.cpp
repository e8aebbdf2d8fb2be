// The replication messages on the wire: each survives CAF's binary
// serializer unchanged, under its registered name; wire_check refuses every
// field a peer could get wrong with the single-node validators' codes; and
// truncated or corrupted bytes give a deserializer error or a message that
// wire_check judges, never a crash. Seeded, no timing.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "cluster/owner_log.hpp"
#include "cluster/type_ids.hpp"
#include "cluster/wire_check.hpp"
#include "presence/config.hpp"
#include "presence/error.hpp"

#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace cluster_wire_tests {

using namespace presence;
using namespace presence::cluster;

namespace {

using buffer = std::vector<char>;

/// An actor system for the serializers' context, with the cluster's types.
struct wire_env {
  caf::actor_system_config cfg;
  caf::actor_system sys;

  static caf::actor_system_config& prepared(caf::actor_system_config& cfg) {
    presence::configure(cfg);
    register_types(cfg);
    cfg.set("scheduler.max-threads", 1);
    return cfg;
  }

  wire_env() : sys(prepared(cfg)) {
    // nop
  }

  template <class T>
  buffer save(T x) {
    buffer buf;
    caf::binary_serializer sink{sys, buf};
    if (auto err = sink(x))
      FAIL("serializer: " << sys.render(err));
    return buf;
  }

  template <class T>
  caf::error load(const buffer& buf, T& x) {
    caf::binary_deserializer source{sys, buf};
    return source(x);
  }
};

caf::timestamp at_ms(int64_t ms) {
  return caf::timestamp{std::chrono::milliseconds{ms}};
}

replica_session session(std::string login_id, std::string token,
                        std::string device = "web") {
  return {std::move(login_id), std::move(token), std::move(device),
          at_ms(1000), at_ms(2000), {{"region", "eu"}, {"app", "chat"}}};
}

owner_delta sample_delta() {
  owner_delta x{"node-a", 0x1234'5678'9abc'def0ull, 7, {}};
  x.ops.push_back({op_kind::upsert, session("alice", "t1", "ios")});
  x.ops.push_back({op_kind::remove, {}});
  x.ops.back().session.login_id = "bob";
  x.ops.back().session.token = "t2";
  x.ops.push_back({op_kind::upsert, session("ünï", "tök", "web")});
  return x;
}

snapshot_chunk sample_chunk() {
  snapshot_chunk x{"node-b", 42, 9, 3, true, {}};
  x.sessions.push_back(session("alice", "t1"));
  x.sessions.push_back(session("carol", "t3", "android"));
  return x;
}

bool is_code(const caf::error& err, error code) {
  return presence::is(err, code);
}

bool mentions(const caf::error& err, const std::string& what) {
  return render(err).find(what) != std::string::npos;
}

} // namespace

TEST_CASE("replication messages survive the binary serializer",
          "[cluster_wire]") {
  wire_env env;
  SECTION("each type on its own") {
    auto s = session("alice", "t1");
    replica_session s2;
    REQUIRE(!env.load(env.save(s), s2));
    CHECK(s2 == s);
    session_op op{op_kind::upsert, session("bob", "t2")};
    session_op op2;
    REQUIRE(!env.load(env.save(op), op2));
    CHECK(op2 == op);
    auto d = sample_delta();
    owner_delta d2;
    REQUIRE(!env.load(env.save(d), d2));
    CHECK(d2 == d);
    auto c = sample_chunk();
    snapshot_chunk c2;
    REQUIRE(!env.load(env.save(c), c2));
    CHECK(c2 == c);
  }
  SECTION("an empty last chunk and a snapshot from owner_log") {
    owner_log log{"node-c", 5};
    for (int i = 0; i < 20; ++i)
      log.upsert(session("user" + std::to_string(i), "t"));
    for (auto& chunk : log.snapshot(200)) {
      snapshot_chunk back;
      REQUIRE(!env.load(env.save(chunk), back));
      CHECK(back == chunk);
      CHECK(!check_chunk(back, limits{}));
    }
    snapshot_chunk empty{"node-c", 5, 0, 0, true, {}};
    snapshot_chunk back;
    REQUIRE(!env.load(env.save(empty), back));
    CHECK(back == empty);
  }
  SECTION("inside a message, by its registered name") {
    auto msg = caf::make_message(sample_delta(), sample_chunk());
    caf::message back;
    REQUIRE(!env.load(env.save(msg), back));
    REQUIRE(back.match_elements<owner_delta, snapshot_chunk>());
    CHECK(back.get_as<owner_delta>(0) == sample_delta());
    CHECK(back.get_as<snapshot_chunk>(1) == sample_chunk());
    CHECK(caf::type_name<owner_delta>::value
          == std::string{"presence::cluster::owner_delta"});
  }
}

TEST_CASE("a removal crosses the wire as its key only", "[cluster_wire]") {
  wire_env env;
  session_op removal{op_kind::remove, session("bob", "t2", "ios")};
  session_op back;
  REQUIRE(!env.load(env.save(removal), back));
  CHECK(back.kind == op_kind::remove);
  CHECK(back.session == replica_session{"bob", "t2", "", {}, {}, {}});
  CHECK(!check_op(back, limits{}));
  session_op upsert{op_kind::upsert, removal.session};
  CHECK(env.save(removal).size() + 16 < env.save(upsert).size());
  SECTION("the ops after a removal in a delta still read right") {
    owner_delta d{"node-a", 9, 3, {}};
    d.ops.push_back(removal);
    d.ops.push_back(upsert);
    d.ops.push_back(removal);
    owner_delta d2;
    REQUIRE(!env.load(env.save(d), d2));
    REQUIRE(d2.ops.size() == 3);
    CHECK(d2.ops[0] == back);
    CHECK(d2.ops[1] == upsert);
    CHECK(d2.ops[2] == back);
  }
}

TEST_CASE("wire_check accepts what an owner sends", "[cluster_wire]") {
  limits lim;
  CHECK(!check_delta(sample_delta(), lim));
  CHECK(!check_chunk(sample_chunk(), lim));
  owner_log log{"node-a", 1};
  auto d = log.upsert(session("alice", "t1"));
  REQUIRE(d);
  CHECK(!check_delta(*d, lim));
  d = log.remove("alice", "t1");
  REQUIRE(d);
  CHECK(!check_delta(*d, lim));
  for (auto& chunk : log.snapshot(1024))
    CHECK(!check_chunk(chunk, lim));
}

TEST_CASE("wire_check refuses a bad owner name", "[cluster_wire]") {
  limits lim;
  auto d = sample_delta();
  d.owner.clear();
  CHECK(is_code(check_delta(d, lim), error::malformed_message));
  CHECK(mentions(check_delta(d, lim), "owner"));
  d.owner = std::string(lim.max_id_size + 1, 'n');
  CHECK(is_code(check_delta(d, lim), error::field_too_long));
  d.owner = std::string(lim.max_id_size, 'n');
  CHECK(!check_delta(d, lim));
  d.owner = "node\xff";
  CHECK(is_code(check_delta(d, lim), error::invalid_utf8));
  auto c = sample_chunk();
  c.owner = "\xc0\xaf";
  CHECK(is_code(check_chunk(c, lim), error::invalid_utf8));
  CHECK(mentions(check_chunk(c, lim), "owner"));
}

TEST_CASE("wire_check refuses a bad delta", "[cluster_wire]") {
  limits lim;
  auto d = sample_delta();
  SECTION("seq 0") {
    d.seq = 0;
    CHECK(is_code(check_delta(d, lim), error::malformed_message));
    CHECK(mentions(check_delta(d, lim), "seq"));
  }
  SECTION("no ops, or too many") {
    d.ops.clear();
    CHECK(is_code(check_delta(d, lim), error::malformed_message));
    d.ops.assign(max_ops_per_delta, {op_kind::upsert, session("a", "t")});
    CHECK(!check_delta(d, lim));
    d.ops.push_back(d.ops.back());
    CHECK(is_code(check_delta(d, lim), error::malformed_message));
    CHECK(mentions(check_delta(d, lim), "max_ops_per_delta"));
  }
  SECTION("an op kind off the enum") {
    d.ops[1].kind = static_cast<op_kind>(op_kind_count);
    auto err = check_delta(d, lim);
    CHECK(is_code(err, error::malformed_message));
    CHECK(mentions(err, "ops[1]"));
    CHECK(mentions(err, "kind"));
    d.ops[1].kind = static_cast<op_kind>(255);
    CHECK(is_code(check_delta(d, lim), error::malformed_message));
  }
  SECTION("an upsert's fields, with the single-node codes") {
    auto& s = d.ops[2].session;
    s.login_id.clear();
    CHECK(is_code(check_delta(d, lim), error::empty_login_id));
    CHECK(mentions(check_delta(d, lim), "ops[2]"));
    s.login_id = std::string(lim.max_id_size + 1, 'x');
    CHECK(is_code(check_delta(d, lim), error::field_too_long));
    s.login_id = "bad\xed\xa0\x80";
    CHECK(is_code(check_delta(d, lim), error::invalid_utf8));
    s.login_id = "carol";
    s.token.clear();
    CHECK(is_code(check_delta(d, lim), error::empty_token));
    s.token = "t\xfe";
    CHECK(is_code(check_delta(d, lim), error::invalid_utf8));
    s.token = "t3";
    s.device.clear();
    CHECK(is_code(check_delta(d, lim), error::empty_device));
    s.device = std::string(lim.max_id_size + 1, 'd');
    CHECK(is_code(check_delta(d, lim), error::field_too_long));
    s.device = "web";
    CHECK(!check_delta(d, lim));
  }
  SECTION("an upsert's metadata") {
    auto& md = d.ops[0].session.metadata;
    md.clear();
    for (size_t i = 0; i <= lim.max_metadata_entries; ++i)
      md.emplace("k" + std::to_string(i), "v");
    CHECK(is_code(check_delta(d, lim), error::metadata_too_large));
    md.clear();
    md.emplace("big", std::string(lim.max_metadata_size + 1, 'v'));
    CHECK(is_code(check_delta(d, lim), error::metadata_too_large));
    md.clear();
    md.emplace("key\xff", "v");
    CHECK(is_code(check_delta(d, lim), error::invalid_utf8));
    md.clear();
    // Values are bytes, as on a single node.
    md.emplace("blob", std::string("\xff\x00\xfe", 3));
    CHECK(!check_delta(d, lim));
  }
  SECTION("a removal needs its key; its other fields stay bounded") {
    auto& s = d.ops[1].session;
    CHECK(!check_delta(d, lim));
    s.token.clear();
    CHECK(is_code(check_delta(d, lim), error::empty_token));
    s.token = "t2";
    s.device = std::string(lim.max_id_size + 1, 'd');
    CHECK(is_code(check_delta(d, lim), error::field_too_long));
    s.device.clear();
    s.metadata.emplace("big", std::string(lim.max_metadata_size + 1, 'v'));
    CHECK(is_code(check_delta(d, lim), error::metadata_too_large));
  }
  SECTION("the node's own limits apply") {
    limits small;
    small.max_id_size = 4;
    CHECK(is_code(check_delta(d, small), error::field_too_long));
  }
}

TEST_CASE("wire_check refuses a bad snapshot chunk", "[cluster_wire]") {
  limits lim;
  auto c = sample_chunk();
  SECTION("too many sessions") {
    c.sessions.assign(max_sessions_per_chunk, session("a", "t"));
    CHECK(!check_chunk(c, lim));
    c.sessions.push_back(session("b", "t"));
    CHECK(is_code(check_chunk(c, lim), error::malformed_message));
    CHECK(mentions(check_chunk(c, lim), "max_sessions_per_chunk"));
  }
  SECTION("an empty chunk other than the last") {
    c.sessions.clear();
    CHECK(!check_chunk(c, lim));
    c.last = false;
    CHECK(is_code(check_chunk(c, lim), error::malformed_message));
  }
  SECTION("a session's fields") {
    c.sessions[1].device.clear();
    auto err = check_chunk(c, lim);
    CHECK(is_code(err, error::empty_device));
    CHECK(mentions(err, "sessions[1]"));
    c.sessions[1].device = "ios";
    c.sessions[0].metadata.emplace(std::string(lim.max_id_size + 1, 'k'), "");
    CHECK(is_code(check_chunk(c, lim), error::field_too_long));
  }
}

TEST_CASE("owner_log keeps snapshot chunks within sessions_per_sent_chunk",
          "[cluster_wire]") {
  static_assert(sessions_per_sent_chunk <= max_sessions_per_chunk);
  owner_log log{"node-a", 3};
  std::vector<session_op> ops;
  for (size_t i = 0; i < sessions_per_sent_chunk + 10; ++i)
    ops.push_back({op_kind::upsert, session("u" + std::to_string(i), "t")});
  REQUIRE(log.commit(std::move(ops)));
  auto chunks = log.snapshot(size_t{1} << 30);
  REQUIRE(chunks.size() == 2);
  CHECK(chunks[0].sessions.size() == sessions_per_sent_chunk);
  CHECK(chunks[1].sessions.size() == 10);
  for (auto& chunk : chunks)
    CHECK(!check_chunk(chunk, limits{}));
}

namespace {

/// Reads `buf` as a T: either the deserializer fails, or wire_check answers
/// (accepting or refusing); returns whether the read succeeded.
template <class T, class Check>
bool read_and_check(wire_env& env, const buffer& buf, Check check) {
  T x;
  if (env.load(buf, x))
    return false;
  // Any answer will do; what matters is that it is one.
  auto err = check(x, limits{});
  if (err)
    CHECK(err.category() == error_category);
  return true;
}

template <class T, class Check>
void mangle(wire_env& env, const T& original, Check check, uint32_t seed) {
  auto good = env.save(original);
  REQUIRE(read_and_check<T>(env, good, check));
  // Every truncation fails to read: each field is needed.
  for (size_t n = 0; n < good.size(); ++n) {
    buffer cut(good.begin(), good.begin() + static_cast<ptrdiff_t>(n));
    CHECK(!read_and_check<T>(env, cut, check));
  }
  // Flipped bytes may still read; wire_check judges what they read as.
  std::mt19937 gen{seed};
  std::uniform_int_distribution<size_t> pos{0, good.size() - 1};
  std::uniform_int_distribution<int> bits{1, 255};
  size_t read = 0;
  for (int round = 0; round < 300; ++round) {
    auto bad = good;
    auto flips = 1 + round % 4;
    for (int i = 0; i < flips; ++i)
      bad[pos(gen)] ^= static_cast<char>(bits(gen));
    if (read_and_check<T>(env, bad, check))
      ++read;
  }
  // Both outcomes occur, so both paths are exercised.
  CHECK(read > 0);
  CHECK(read < 300);
}

} // namespace

TEST_CASE("truncated or corrupted bytes never crash the reader",
          "[cluster_wire]") {
  wire_env env;
  SECTION("a delta") {
    mangle(env, sample_delta(), check_delta, 14);
  }
  SECTION("a snapshot chunk") {
    mangle(env, sample_chunk(), check_chunk, 41);
  }
}

} // namespace cluster_wire_tests

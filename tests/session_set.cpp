// One owner's packed sessions (cluster/session_set.hpp): a session decodes
// to what was encoded (inline and on the heap), equal sessions have equal
// bytes, and the set finds, replaces and erases by key through growth and
// removals.

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "cluster/session_set.hpp"

#include "replication_values.hpp"

// A namespace per test file: the tests build in unity batches.
namespace session_set_tests {

using namespace presence::cluster;

using test::at;
using test::sess;

namespace {

std::string key(const std::string& login, const std::string& token) {
  return packed_session::key_of(login, token);
}

} // namespace

TEST_CASE("a packed session decodes to what was packed", "[session_set]") {
  auto x = sess("u1", "t1", 5, "ios");
  SECTION("small, inline") {
    x.last_activity = at(3); // before the connect time: a negative offset
  }
  SECTION("large, on the heap") {
    x.login_id = std::string(300, 'l');
    x.token = std::string(200, 't');
    x.metadata["room"] = "7";
    x.metadata[std::string(1000, 'k')] = std::string(70000, 'v');
    x.last_activity = at(90000);
  }
  packed_session p{x};
  CHECK(p.decode() == x);
  CHECK(p.login_id() == x.login_id);
  CHECK(p.connect_time() == x.connect_time);
  CHECK(p.key() == key(x.login_id, x.token));
  CHECK(p.hash() == packed_session::hash_of(p.key()));
  // Copies and moves keep the bytes.
  auto q = p;
  CHECK(q.decode() == x);
  auto r = std::move(q);
  CHECK(r.decode() == x);
  q = r;
  CHECK(q.bytes() == p.bytes());
  CHECK(sizeof(packed_session) == 48);
}

TEST_CASE("equal sessions have equal bytes, different ones differ",
          "[session_set]") {
  auto x = sess("u1", "t1");
  CHECK(packed_session{x}.bytes() == packed_session{sess("u1", "t1")}.bytes());
  auto y = x;
  y.last_activity = at(2);
  CHECK(packed_session{x}.bytes() != packed_session{y}.bytes());
  y = x;
  y.metadata["k"] = "";
  CHECK(packed_session{x}.bytes() != packed_session{y}.bytes());
  // A key is not ambiguous: ("ab", "c") is not ("a", "bc").
  CHECK(key("ab", "c") != key("a", "bc"));
}

TEST_CASE("a session set adds, replaces, finds and erases by key",
          "[session_set]") {
  session_set xs;
  CHECK(xs.find(key("u", "t")) == nullptr);
  CHECK(xs.put(packed_session{sess("u", "t")}) == session_set::put_result::added);
  CHECK(xs.put(packed_session{sess("u", "t")}) == session_set::put_result::same);
  packed_session old;
  CHECK(xs.put(packed_session{sess("u", "t", 1, "ios")}, &old)
        == session_set::put_result::changed);
  CHECK(old.decode() == sess("u", "t"));
  REQUIRE(xs.find(key("u", "t")) != nullptr);
  CHECK(xs.find(key("u", "t"))->decode().device == "ios");
  CHECK(xs.size() == 1);
  CHECK(!xs.erase(key("u", "x")));
  CHECK(xs.erase(key("u", "t")));
  CHECK(xs.empty());
  CHECK(xs.find(key("u", "t")) == nullptr);
}

TEST_CASE("a session set hands out what it erases and lists itself sorted",
          "[session_set]") {
  session_set xs;
  xs.put(packed_session{sess("u", "t", 1, "ios")});
  xs.put(packed_session{sess("b", "t")});
  xs.put(packed_session{sess("a", "t")});
  CHECK(xs.sorted()
        == std::vector<replica_session>{sess("a", "t"), sess("b", "t"),
                                        sess("u", "t", 1, "ios")});
  // Not the last record: the last one moves into its place.
  packed_session old;
  CHECK(xs.erase(key("u", "t"), &old));
  CHECK(old.decode() == sess("u", "t", 1, "ios"));
  REQUIRE(xs.find(key("a", "t")) != nullptr);
  CHECK(xs.find(key("a", "t"))->decode() == sess("a", "t"));
  CHECK(xs.sorted()
        == std::vector<replica_session>{sess("a", "t"), sess("b", "t")});
}

TEST_CASE("a session set agrees with a map through growth and removals",
          "[session_set]") {
  session_set xs;
  std::map<std::string, replica_session> model;
  // Deterministic pseudo-random keys from a small space: collisions of
  // home slots, re-insertions after erases, erases of the last record.
  uint64_t state = 42;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  for (int step = 0; step < 20000; ++step) {
    auto n = next() % 3000;
    auto x = sess("u" + std::to_string(n % 700), "t" + std::to_string(n),
                  static_cast<int>(next() % 3));
    auto k = key(x.login_id, x.token);
    if (next() % 3 == 0) {
      CHECK(xs.erase(k) == (model.erase(k) == 1));
    } else {
      auto r = xs.put(packed_session{x});
      auto i = model.find(k);
      if (i == model.end())
        CHECK(r == session_set::put_result::added);
      else
        CHECK(r == (i->second == x ? session_set::put_result::same
                                   : session_set::put_result::changed));
      model[k] = x;
    }
  }
  REQUIRE(xs.size() == model.size());
  for (auto& [k, x] : model) {
    auto p = xs.find(k);
    REQUIRE(p != nullptr);
    CHECK(p->decode() == x);
  }
  size_t seen = 0;
  xs.for_each([&](const packed_session& p) {
    ++seen;
    CHECK(model.count(std::string{p.key()}) == 1);
  });
  CHECK(seen == model.size());
}

} // namespace session_set_tests

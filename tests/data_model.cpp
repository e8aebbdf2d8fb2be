// The data model: message_type, push_message, online_user, results, errors,
// validation functions and serialisation of every public type.

#include "test_util.hpp"

// A namespace per test file: the tests build in unity batches.
namespace data_model_tests {

using namespace presence;
using namespace test;

namespace {

// -- field-wise comparison for types without operator== -------------------------

bool same(const session_target& x, const session_target& y) {
  return x.token == y.token && x.device == y.device;
}

bool same(const delivery& x, const delivery& y) {
  return x.login_id == y.login_id && x.message == y.message
         && x.first_session == y.first_session
         && x.session_count == y.session_count;
}

bool same(const delivery_batch& x, const delivery_batch& y) {
  if (x.id != y.id || !(x.messages == y.messages)
      || x.deliveries.size() != y.deliveries.size()
      || x.sessions.size() != y.sessions.size())
    return false;
  for (size_t i = 0; i < x.deliveries.size(); ++i)
    if (!same(x.deliveries[i], y.deliveries[i]))
      return false;
  for (size_t i = 0; i < x.sessions.size(); ++i)
    if (!same(x.sessions[i], y.sessions[i]))
      return false;
  return true;
}

bool same(const change_result& x, const change_result& y) {
  return x.status == y.status && x.sessions == y.sessions
         && x.removed == y.removed;
}

bool same(const pusher_failure& x, const pusher_failure& y) {
  return x.pusher == y.pusher && x.reason == y.reason && x.node == y.node;
}

bool same(const delivery_report& x, const delivery_report& y) {
  if (x.message_id != y.message_id || x.users_reached != y.users_reached
      || x.sessions_reached != y.sessions_reached
      || x.users_targeted != y.users_targeted || x.not_online != y.not_online
      || x.failed_pushers.size() != y.failed_pushers.size())
    return false;
  for (size_t i = 0; i < x.failed_pushers.size(); ++i)
    if (!same(x.failed_pushers[i], y.failed_pushers[i]))
      return false;
  return true;
}

template <class T>
T round_trip(caf::actor_system& sys, const T& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto copy = x;
  auto err = sink(copy);
  INFO("serialize: " << caf::to_string(err));
  REQUIRE(!err);
  REQUIRE(!buf.empty());
  T y{};
  caf::binary_deserializer source{sys, buf};
  err = source(y);
  INFO("deserialize: " << caf::to_string(err));
  REQUIRE(!err);
  return y;
}

template <class T>
std::vector<char> bytes_of(caf::actor_system& sys, const T& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto copy = x;
  auto err = sink(copy);
  REQUIRE(!err);
  return buf;
}

caf::timestamp ts(int64_t ns) {
  return caf::timestamp{caf::timespan{ns}};
}

online_user sample_user() {
  online_user u;
  u.login_id = "alice";
  u.token = "tok-1";
  u.device = "ios";
  u.connect_time = ts(1'600'000'000'000'000'000);
  u.last_activity = ts(1'600'000'000'123'456'789);
  u.metadata = {{"ip", "10.0.0.1"}, {"app", "2.1"}};
  return u;
}

push_message sample_message(message_type type, std::string content) {
  push_message m;
  m.message_id = "msg-42";
  m.type = std::move(type);
  m.content = std::move(content);
  m.timestamp = ts(1'700'000'000'000'000'001);
  m.metadata = {{"k", "v"}};
  return m;
}

delivery_batch sample_batch() {
  delivery_batch b;
  b.id = 77;
  b.messages = {sample_message(message_type::text(), "hi"),
                sample_message(message_type::custom("x"), "y")};
  b.sessions = {{"t1", "web"}, {"t2", "ios"}, {"t3", "android"}};
  b.deliveries = {{"alice", 0, 0, 2}, {"bob", 1, 2, 1}};
  return b;
}

delivery_report sample_report() {
  delivery_report r;
  r.message_id = "m-1";
  r.users_reached = 3;
  r.sessions_reached = 5;
  r.users_targeted = 4;
  r.not_online = {"carol", "dave"};
  r.failed_pushers = {{17, caf::make_error(caf::sec::request_timeout), ""},
                      {18, make_error(error::invalid_pusher, "ctx"), "b"}};
  return r;
}

} // namespace

TEST_CASE("message_type kinds, comparison and to_string", "[data]") {
  auto text = message_type::text();
  auto binary = message_type::binary();
  auto kick = message_type::kick_out();
  auto note = message_type::notification();
  auto custom_a = message_type::custom("a");
  auto custom_b = message_type::custom("b");
  CHECK(message_type{} == text);
  CHECK(text.get_kind() == message_type::kind::text);
  CHECK(binary.get_kind() == message_type::kind::binary);
  CHECK(kick.get_kind() == message_type::kind::kick_out);
  CHECK(note.get_kind() == message_type::kind::notification);
  CHECK(custom_a.get_kind() == message_type::kind::custom);
  CHECK(custom_a.is_custom());
  CHECK_FALSE(text.is_custom());
  CHECK(custom_a.custom_name() == "a");
  CHECK(text.custom_name().empty());
  std::vector<message_type> all{text, binary, kick, note, custom_a, custom_b,
                                message_type::custom("")};
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = 0; j < all.size(); ++j) {
      INFO("i = " << i << ", j = " << j);
      CHECK((all[i] == all[j]) == (i == j));
      CHECK((all[i] != all[j]) == (i != j));
      // operator< is a strict total order on distinct values.
      if (i != j)
        CHECK((all[i] < all[j]) != (all[j] < all[i]));
      else
        CHECK_FALSE(all[i] < all[j]);
    }
  }
  CHECK(message_type::custom("a") == custom_a);
  CHECK(custom_a < custom_b);
  CHECK(to_string(text) == "Text");
  CHECK(to_string(binary) == "Binary");
  CHECK(to_string(kick) == "KickOut");
  CHECK(to_string(note) == "Notification");
  CHECK(to_string(custom_a) == "Custom(a)");
  CHECK(to_string(message_type::custom("my.type")) == "Custom(my.type)");
}

TEST_CASE("push_message factories and equality", "[data]") {
  auto t = make_text_message("hello");
  CHECK(t.type == message_type::text());
  CHECK(t.content == "hello");
  CHECK(t.message_id.empty());
  auto b = make_binary_message(std::string("\x00\xff\x01", 3));
  CHECK(b.type == message_type::binary());
  CHECK(b.content == std::string("\x00\xff\x01", 3));
  auto n = make_notification("note");
  CHECK(n.type == message_type::notification());
  CHECK(n.content == "note");
  auto k = make_kick_out_message("bye");
  CHECK(k.type == message_type::kick_out());
  CHECK(k.content == "bye");
  auto c = make_custom_message("game.move", "e2e4");
  CHECK(c.type == message_type::custom("game.move"));
  CHECK(c.content == "e2e4");
  auto x = sample_message(message_type::text(), "a");
  auto y = x;
  CHECK(x == y);
  y.content = "b";
  CHECK_FALSE(x == y);
  y = x;
  y.message_id = "other";
  CHECK_FALSE(x == y);
  y = x;
  y.type = message_type::notification();
  CHECK_FALSE(x == y);
  y = x;
  y.metadata["extra"] = "1";
  CHECK_FALSE(x == y);
}

TEST_CASE("online_user make_online_user and equality", "[data]") {
  auto before = caf::make_timestamp();
  auto u = make_online_user("alice", "t1", "android", {{"ip", "1.2.3.4"}});
  auto after = caf::make_timestamp();
  CHECK(u.login_id == "alice");
  CHECK(u.token == "t1");
  CHECK(u.device == "android");
  CHECK(u.metadata == metadata_map{{"ip", "1.2.3.4"}});
  CHECK(u.connect_time >= before);
  CHECK(u.connect_time <= after);
  auto v = u;
  CHECK(u == v);
  CHECK_FALSE(u != v);
  v.token = "t2";
  CHECK(u != v);
  v = u;
  v.device = "web";
  CHECK(u != v);
  v = u;
  v.metadata.clear();
  CHECK(u != v);
}

TEST_CASE("change_status and error to_string", "[data]") {
  std::set<std::string> names;
  for (auto s :
       {change_status::joined, change_status::reconnected, change_status::left,
        change_status::user_offline, change_status::refreshed,
        change_status::unknown_user, change_status::unknown_token,
        change_status::subscribed, change_status::unsubscribed,
        change_status::unknown_pusher}) {
    auto str = to_string(s);
    CHECK_FALSE(str.empty());
    names.insert(str);
  }
  CHECK(names.size() == 10);
  CHECK(to_string(change_status::reconnected) == "reconnected");
  // The old name of `reconnected` stays for one release, deprecated.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  CHECK(change_status::replaced == change_status::reconnected);
#pragma GCC diagnostic pop
  names.clear();
  for (auto e : {error::none, error::empty_login_id, error::empty_token,
                 error::content_too_large, error::invalid_utf8,
                 error::empty_custom_type, error::system_not_configured,
                 error::registry_down, error::invalid_pusher,
                 error::invalid_option}) {
    auto str = to_string(e);
    CHECK_FALSE(str.empty());
    names.insert(str);
  }
  CHECK(names.size() == 10);
}

TEST_CASE("error category and is()", "[data]") {
  auto err = make_error(error::empty_token);
  CHECK(err.category() == error_category);
  CHECK(err.code() == static_cast<uint8_t>(error::empty_token));
  CHECK(is(err, error::empty_token));
  CHECK_FALSE(is(err, error::empty_login_id));
  // Same code, other category.
  caf::error foreign{static_cast<uint8_t>(error::empty_token),
                     caf::atom("other")};
  CHECK_FALSE(is(foreign, error::empty_token));
  auto with_ctx = make_error(error::content_too_large, "2000000 bytes");
  CHECK(is(with_ctx, error::content_too_large));
  // A configured system renders the category readably.
  env e;
  auto text = e.sys.render(make_error(error::invalid_utf8));
  INFO("rendered: " << text);
  CHECK(text.find(to_string(error::invalid_utf8)) != std::string::npos);
}

TEST_CASE("is() on an empty error is false", "[data]") {
  CHECK_FALSE(is(caf::error{}, error::empty_token));
}

TEST_CASE("validation functions", "[data][validation]") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("h\xc3\xa9llo"));          // é
  CHECK(is_valid_utf8("\xe6\x97\xa5\xe6\x9c\xac")); // 日本
  CHECK(is_valid_utf8("\xf0\x9f\x98\x80"));      // U+1F600
  CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));      // U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xff"));
  CHECK_FALSE(is_valid_utf8("abc\xc3"));          // truncated
  CHECK_FALSE(is_valid_utf8("\xe6\x97"));         // truncated
  CHECK_FALSE(is_valid_utf8("\x80"));             // lone continuation
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));     // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate U+D800
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // > U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xf8\x88\x80\x80\x80"));
  CHECK(validate_login_id("alice") == caf::none);
  CHECK_PRESENCE_ERROR(validate_login_id(""), empty_login_id);
  CHECK(validate_session_key("alice", "t") == caf::none);
  CHECK_PRESENCE_ERROR(validate_session_key("", "t"), empty_login_id);
  CHECK_PRESENCE_ERROR(validate_session_key("alice", ""), empty_token);
  CHECK(validate_user(user("a", "t")) == caf::none);
  CHECK_PRESENCE_ERROR(validate_user(user("", "t")), empty_login_id);
  CHECK_PRESENCE_ERROR(validate_user(user("a", "")), empty_token);
  CHECK(validate_message(make_text_message("ok"), 16) == caf::none);
  CHECK(validate_message(make_text_message(std::string(16, 'x')), 16)
        == caf::none);
  CHECK_PRESENCE_ERROR(
    validate_message(make_text_message(std::string(17, 'x')), 16),
    content_too_large);
  CHECK_PRESENCE_ERROR(
    validate_message(make_binary_message(std::string(17, 'x')), 16),
    content_too_large);
  CHECK_PRESENCE_ERROR(validate_message(make_text_message("\xff"), 16),
                       invalid_utf8);
  CHECK(validate_message(make_binary_message("\xff\xfe"), 16) == caf::none);
  CHECK_PRESENCE_ERROR(validate_message(make_custom_message("", "x"), 16),
                       empty_custom_type);
  CHECK(validate_message(make_custom_message("t", "x"), 16) == caf::none);
}

TEST_CASE("serialisation round-trip of every public type", "[data][serial]") {
  env e;
  auto& sys = e.sys;
  SECTION("online_user") {
    auto x = sample_user();
    CHECK(round_trip(sys, x) == x);
    CHECK(round_trip(sys, online_user{}) == online_user{});
  }
  SECTION("message_type") {
    for (auto& x :
         {message_type::text(), message_type::binary(),
          message_type::kick_out(), message_type::notification(),
          message_type::custom("shop.order"), message_type::custom("")}) {
      INFO(to_string(x));
      CHECK(round_trip(sys, x) == x);
    }
  }
  SECTION("push_message") {
    auto x = sample_message(message_type::custom("c"), "payload");
    CHECK(round_trip(sys, x) == x);
    auto bin = sample_message(message_type::binary(),
                              std::string("\x00\x01\xff", 3));
    CHECK(round_trip(sys, bin) == bin);
  }
  SECTION("session_target and delivery") {
    session_target st{"tok", "web"};
    CHECK(same(round_trip(sys, st), st));
    delivery d{"bob", 3, 5, 2};
    CHECK(same(round_trip(sys, d), d));
  }
  SECTION("delivery_batch") {
    auto x = sample_batch();
    auto y = round_trip(sys, x);
    CHECK(same(y, x));
    REQUIRE(y.deliveries.size() == 2);
    CHECK(y.message_of(y.deliveries[1]).content == "y");
    auto range = y.sessions_of(y.deliveries[0]);
    REQUIRE(range.size() == 2);
    CHECK(range.begin()->token == "t1");
    CHECK(y.session_count() == 3);
  }
  SECTION("change_status and change_result") {
    for (auto s : {change_status::joined, change_status::unknown_pusher,
                   change_status::user_offline}) {
      CHECK(round_trip(sys, s) == s);
      change_result r{s, 3, 2};
      CHECK(same(round_trip(sys, r), r));
    }
  }
  SECTION("pusher_failure and delivery_report") {
    pusher_failure f{99, make_error(error::registry_down), "node-b"};
    auto g = round_trip(sys, f);
    CHECK(same(g, f));
    CHECK(g.node == "node-b");
    CHECK(is(g.reason, error::registry_down));
    auto r = sample_report();
    CHECK(same(round_trip(sys, r), r));
    CHECK(same(round_trip(sys, delivery_report{}), delivery_report{}));
  }
  SECTION("vectors") {
    std::vector<online_user> us{sample_user(), online_user{}};
    CHECK(round_trip(sys, us) == us);
    std::vector<push_message> ms{sample_message(message_type::text(), "a"),
                                 make_kick_out_message("r")};
    CHECK(round_trip(sys, ms) == ms);
    std::vector<std::string> ss{"a", "", "c"};
    CHECK(round_trip(sys, ss) == ss);
  }
  SECTION("actor handles") {
    in_memory_pusher imp{sys};
    pusher_actor p = imp;
    CHECK(round_trip(sys, p) == p);
    auto h = imp.handle();
    CHECK(round_trip(sys, h) == h);
    auto reg = ok(spawn_registry(sys));
    CHECK(round_trip(sys, reg) == reg);
    caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
  }
  SECTION("internal protocol types") {
    // Not public API and still evolving: compared by their serialised bytes.
    detail::client_op op;
    op.ticket = 12;
    op.kind = detail::op_kind::push_users;
    op.user = sample_user();
    op.login_ids = {"a", "b"};
    op.message = sample_message(message_type::notification(), "n");
    CHECK(bytes_of(sys, round_trip(sys, op)) == bytes_of(sys, op));
    detail::client_batch cb;
    cb.ops = {op, op};
    CHECK(bytes_of(sys, round_trip(sys, cb)) == bytes_of(sys, cb));
    detail::op_result res;
    res.ticket = 5;
    res.err = make_error(error::empty_token);
    res.change = {change_status::left, 1, 1};
    res.report = sample_report();
    CHECK(bytes_of(sys, round_trip(sys, res)) == bytes_of(sys, res));
    detail::client_results cr;
    cr.batches_done = 2;
    cr.results = {res, res};
    CHECK(bytes_of(sys, round_trip(sys, cr)) == bytes_of(sys, cr));
    detail::user_command uc;
    uc.ticket = 9;
    uc.kind = detail::op_kind::update_activity;
    CHECK(bytes_of(sys, round_trip(sys, uc)) == bytes_of(sys, uc));
    detail::user_update uu;
    uu.ticket = 3;
    uu.session = sample_user();
    uu.result = {change_status::joined, 1, 0};
    CHECK(bytes_of(sys, round_trip(sys, uu)) == bytes_of(sys, uu));
  }
}

TEST_CASE("messages with presence types survive serialisation",
          "[data][serial]") {
  // Serialising a caf::message uses the type names registered by
  // presence::configure, as a remote send would.
  env e;
  auto u = sample_user();
  auto m = sample_message(message_type::custom("z"), "zz");
  auto r = sample_report();
  auto b = sample_batch();
  change_result c{change_status::reconnected, 2, 0};
  auto msg = caf::make_message(mark_online_atom::value, u, m, r, b, c,
                               std::vector<online_user>{u},
                               std::vector<push_message>{m});
  std::vector<char> buf;
  {
    caf::binary_serializer sink{e.sys, buf};
    auto err = sink(msg);
    INFO(caf::to_string(err));
    REQUIRE(!err);
  }
  caf::message copy;
  caf::binary_deserializer source{e.sys, buf};
  auto err = source(copy);
  INFO(caf::to_string(err));
  REQUIRE(!err);
  REQUIRE((copy.match_elements<mark_online_atom, online_user, push_message,
                               delivery_report, delivery_batch, change_result,
                               std::vector<online_user>,
                               std::vector<push_message>>()));
  CHECK(copy.get_as<online_user>(1) == u);
  CHECK(copy.get_as<push_message>(2) == m);
  CHECK(same(copy.get_as<delivery_report>(3), r));
  CHECK(same(copy.get_as<delivery_batch>(4), b));
  CHECK(same(copy.get_as<change_result>(5), c));
  CHECK(copy.get_as<std::vector<online_user>>(6).at(0) == u);
  CHECK(copy.get_as<std::vector<push_message>>(7).at(0) == m);
}

} // namespace data_model_tests

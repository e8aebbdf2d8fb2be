// forwarded_writes: a write split over this node and other owners answers
// its caller once, with the parts merged (docs/design.md, "The registry and
// the cluster actor"). Through client_replies, as the registry uses it.

#include "registry_fakes.hpp"

#include "registry/forwarded_writes.hpp"

// A namespace per test file: the tests build in unity batches.
namespace forwarded_writes_tests {

using namespace parts;

namespace {

using kind = forwarded_writes::answer_kind;

forwarded_writes::part change_part(change_status st, uint32_t left,
                                   uint32_t removed) {
  forwarded_writes::part p;
  p.change = change_result{st, left, removed};
  return p;
}

forwarded_writes::part error_part(std::string what) {
  forwarded_writes::part p;
  p.err = make_error(error::malformed_message, std::move(what));
  return p;
}

forwarded_writes::part report_part(uint64_t targeted, uint64_t reached,
                                   uint64_t sessions) {
  forwarded_writes::part p;
  p.report.users_targeted = targeted;
  p.report.users_reached = reached;
  p.report.sessions_reached = sessions;
  if (targeted == 0)
    p.report.not_online.push_back("alice");
  return p;
}

} // namespace

TEST_CASE("forwarded writes: the caller is answered after the last part",
          "[forwarded_writes]") {
  forwarded_writes fw;
  auto id = fw.open(reply_target{3, 77, {}}, kind::change, 3);
  CHECK(id != 0);
  forwarded_writes::merged m;
  CHECK_FALSE(fw.add(id, change_part(change_status::left, 2, 1), m));
  CHECK_FALSE(fw.add(id, change_part(change_status::left, 1, 1), m));
  CHECK(fw.size() == 1);
  REQUIRE(fw.add(id, change_part(change_status::user_offline, 0, 1), m));
  CHECK(fw.size() == 0);
  CHECK(m.target.client == 3u);
  CHECK(m.target.ticket == 77u);
  CHECK_FALSE(m.err);
  CHECK(m.change.status == change_status::user_offline);
  CHECK(m.change.removed == 3u);
  CHECK(m.change.sessions == 0u);
  // A closed write ignores stray answers.
  CHECK_FALSE(fw.add(id, change_part(change_status::left, 1, 1), m));
  CHECK_FALSE(fw.add(12345, change_part(change_status::left, 1, 1), m));
}

TEST_CASE("forwarded writes: nothing removed here, removals there",
          "[forwarded_writes]") {
  forwarded_writes fw;
  auto id = fw.open(reply_target{0, 1, {}}, kind::change, 2);
  forwarded_writes::merged m;
  // The local part: no session of this node, two remote ones left.
  CHECK_FALSE(fw.add(id, change_part(change_status::unknown_token, 2, 0), m));
  REQUIRE(fw.add(id, change_part(change_status::user_offline, 0, 2), m));
  CHECK(m.change.status == change_status::user_offline);
  CHECK(m.change.removed == 2u);
  // Nothing anywhere: unknown_token wins over unknown_user.
  id = fw.open(reply_target{0, 2, {}}, kind::change, 2);
  CHECK_FALSE(fw.add(id, change_part(change_status::unknown_user, 0, 0), m));
  REQUIRE(fw.add(id, change_part(change_status::unknown_token, 1, 0), m));
  CHECK(m.change.status == change_status::unknown_token);
  CHECK(m.change.removed == 0u);
}

TEST_CASE("forwarded writes: an error only if no part succeeded",
          "[forwarded_writes]") {
  forwarded_writes fw;
  forwarded_writes::merged m;
  auto id = fw.open(reply_target{0, 1, {}}, kind::change, 2);
  CHECK_FALSE(fw.add(id, error_part("first"), m));
  REQUIRE(fw.add(id, change_part(change_status::left, 1, 1), m));
  CHECK_FALSE(m.err);
  CHECK(m.change.removed == 1u);
  id = fw.open(reply_target{0, 2, {}}, kind::change, 2);
  CHECK_FALSE(fw.add(id, error_part("first"), m));
  REQUIRE(fw.add(id, error_part("second"), m));
  REQUIRE(m.err);
  CHECK(caf::to_string(m.err).find("first") != std::string::npos);
}

TEST_CASE("forwarded writes: delivery reports count the user once",
          "[forwarded_writes]") {
  forwarded_writes fw;
  forwarded_writes::merged m;
  auto id = fw.open(reply_target{0, 1, {}}, kind::report, 3);
  auto local = report_part(1, 1, 2);
  local.report.message_id = "m-1";
  CHECK_FALSE(fw.add(id, std::move(local), m));
  CHECK_FALSE(fw.add(id, report_part(1, 1, 3), m));
  REQUIRE(fw.add(id, report_part(0, 0, 0), m));
  CHECK(m.kind == kind::report);
  CHECK(m.report.message_id == "m-1");
  CHECK(m.report.users_targeted == 1u);
  CHECK(m.report.users_reached == 1u);
  CHECK(m.report.sessions_reached == 5u);
  CHECK(m.report.not_online.empty());
  // Not online anywhere: named once.
  id = fw.open(reply_target{0, 2, {}}, kind::report, 2);
  CHECK_FALSE(fw.add(id, report_part(0, 0, 0), m));
  REQUIRE(fw.add(id, report_part(0, 0, 0), m));
  CHECK(m.report.not_online == std::vector<std::string>{"alice"});
}

TEST_CASE("forwarded writes: client_replies routes parts and answers once",
          "[forwarded_writes]") {
  mini_system ms;
  reply_log log;
  client_replies replies{log};
  bool added = false;
  auto client = replies.client_of(ms.dummy(), added);
  auto id = replies.forwards.open(reply_target{client, 9, {}}, kind::change,
                                  2);
  auto part = forwarded_writes::part_target(id);
  replies.complete(part, change_result{change_status::left, 1, 1});
  replies.flush();
  CHECK(log.sent.empty());
  replies.fail(part, make_error(error::malformed_message, "lost"));
  replies.flush();
  REQUIRE(log.sent.size() == 1);
  REQUIRE(log.sent[0].out.results.size() == 1);
  auto& r = log.sent[0].out.results[0];
  CHECK(r.ticket == 9u);
  CHECK_FALSE(r.err);
  CHECK(r.change.status == change_status::left);
  CHECK(r.change.removed == 1u);
}

} // namespace forwarded_writes_tests

#include "cluster/replication.hpp"

#include "memory/huge_pages.hpp"

namespace presence::cluster {

static_assert(sizeof(session_op) * ops_per_sent_delta
                < detail::malloc_mmap_threshold,
              "a sent delta's ops stay under malloc's mmap threshold");
static_assert(sizeof(replica_session) * sessions_per_sent_chunk
                < detail::malloc_mmap_threshold,
              "a sent chunk's sessions stay under malloc's mmap threshold");

bool operator==(const replica_session& x, const replica_session& y) {
  return x.login_id == y.login_id && x.token == y.token
         && x.device == y.device && x.connect_time == y.connect_time
         && x.last_activity == y.last_activity && x.metadata == y.metadata;
}

std::string to_string(op_kind x) {
  switch (x) {
    case op_kind::upsert:
      return "upsert";
    case op_kind::remove:
      return "remove";
  }
  // A value off the enum, e.g. read from a peer before wire_check.
  return "op_kind(" + std::to_string(static_cast<unsigned>(x)) + ")";
}

bool operator==(const session_op& x, const session_op& y) {
  return x.kind == y.kind && x.session == y.session;
}

bool operator==(const owner_delta& x, const owner_delta& y) {
  return x.owner == y.owner && x.incarnation == y.incarnation
         && x.seq == y.seq && x.ops == y.ops;
}

bool operator==(const snapshot_chunk& x, const snapshot_chunk& y) {
  return x.owner == y.owner && x.incarnation == y.incarnation
         && x.seq == y.seq && x.index == y.index && x.last == y.last
         && x.sessions == y.sessions;
}

} // namespace presence::cluster

#pragma once

// Builders of replication values for the state module's tests: sessions
// stamped at whole seconds, ops, deltas and snapshot chunks.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "cluster/replication.hpp"

namespace test {

inline caf::timestamp at(int seconds) {
  return caf::timestamp{std::chrono::seconds{seconds}};
}

inline presence::cluster::replica_session
sess(std::string login, std::string token, int stamp = 1,
     std::string device = "web") {
  return presence::cluster::replica_session{std::move(login),
                                            std::move(token),
                                            std::move(device),
                                            at(stamp),
                                            at(stamp),
                                            {}};
}

inline presence::cluster::session_op up(presence::cluster::replica_session x) {
  return presence::cluster::session_op{presence::cluster::op_kind::upsert,
                                       std::move(x)};
}

inline presence::cluster::session_op rm(std::string login, std::string token) {
  presence::cluster::session_op op{presence::cluster::op_kind::remove, {}};
  op.session.login_id = std::move(login);
  op.session.token = std::move(token);
  return op;
}

inline presence::cluster::owner_delta
delta(std::string owner, presence::cluster::incarnation_id inc,
      presence::cluster::seq_number seq,
      std::vector<presence::cluster::session_op> ops) {
  return presence::cluster::owner_delta{std::move(owner), inc, seq,
                                        std::move(ops)};
}

inline presence::cluster::snapshot_chunk
chunk(std::string owner, presence::cluster::incarnation_id inc,
      presence::cluster::seq_number seq, uint32_t index, bool last,
      std::vector<presence::cluster::replica_session> xs) {
  return presence::cluster::snapshot_chunk{std::move(owner), inc,  seq,
                                           index,            last, std::move(xs)};
}

/// A whole snapshot in one chunk.
inline presence::cluster::snapshot_chunk
snap(std::string owner, presence::cluster::incarnation_id inc,
     presence::cluster::seq_number seq,
     std::vector<presence::cluster::replica_session> xs) {
  return chunk(std::move(owner), inc, seq, 0, true, std::move(xs));
}

} // namespace test

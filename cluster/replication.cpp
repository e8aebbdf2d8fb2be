#include "cluster/replication.hpp"

namespace presence::cluster {

bool operator==(const replica_session& x, const replica_session& y) {
  return x.login_id == y.login_id && x.token == y.token
         && x.device == y.device && x.connect_time == y.connect_time
         && x.last_activity == y.last_activity && x.metadata == y.metadata;
}

} // namespace presence::cluster

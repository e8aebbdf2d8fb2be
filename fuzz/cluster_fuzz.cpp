// libFuzzer target: fuzz bytes become what a joined peer sends a node's
// cluster actor. Each message is a type byte and then the bytes CAF's
// binary_deserializer reads into that type, as the middleman reads a peer's
// message; bytes left after a message that decoded start the next one (up to
// max_messages), so an input can be a snapshot followed by deltas. Every
// message that decodes goes to a real cluster actor (actors/cluster_actor.cpp)
// from an actor that joined it through the handshake.
//
// The peer. The cluster actor knows peers by the sender of their messages
// and refuses a hello from its own node, so the peer is an actor of a second
// actor system in this process (with the middleman loaded, CAF gives each
// system its own node id; nothing is published or connected). It
// joins as node "p", incarnation 7, by the same hello request a dialing node
// sends; the seed corpus uses that name and incarnation.
//
// Each input gets a fresh cluster actor and registry stand-in: a node's
// state is what its peers sent, so inputs stay independent and a crashing
// input reproduces alone. The stand-in answers the attach with two local
// sessions (so a peer's claims can beat this node's) and checks what the
// cluster actor tells it: every session shown is valid by the node's own
// rules and named after a joined peer. At the end of the input the peer's
// actor goes away, as a crashed peer's link does, and then no node may be up
// and no remote session may be left in the stand-in's table: a lost peer
// leaves nothing behind. Before the input, the node routes one push to the
// peer, so that a routed answer in the input has a push to match. A failed check aborts, which libFuzzer reports with
// the input; a hang is reported by libFuzzer's -timeout.
//
// The actor systems are created once with `new` and never destroyed (a
// static one crashed in ~actor_system at exit under libFuzzer).
//
// With CLUSTER_FUZZ_WRITE_SEEDS=DIR set, the program writes the seed corpus
// (valid messages of every type, and a few sequences) to DIR and exits.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/cluster_actor.hpp"
#include "cluster/handshake.hpp"
#include "cluster/type_ids.hpp"
#include "cluster/wire_check.hpp"
#include "presence/config.hpp"
#include "presence/detail/cluster_feed.hpp"
#include "presence/detail/protocol.hpp"

using namespace presence;
using namespace presence::cluster;

namespace {

/// What a peer can send, in the order of the type byte (modulo the count).
enum class msg : uint8_t {
  hello,
  delta,
  snapshot,
  status,
  gossip,
  leave,
  resync,
  forward,
  ack,
  route,
  routed,
  count,
};

constexpr size_t max_messages = 16;
constexpr auto peer_name = "p";
constexpr incarnation_id peer_incarnation = 7;
/// The fuzzed node's own incarnation, which an ack names.
constexpr incarnation_id node_incarnation = 0x5eed;
/// No request timeout: each would stay in the clock for its full time,
/// keeping its requester alive, which grew the heap by ~30 KB an input. A
/// hang is caught by libFuzzer's -timeout instead.
constexpr auto timeout = caf::infinite;

[[noreturn]] void fail(const std::string& what) {
  fprintf(stderr, "cluster_fuzz: %s\n", what.c_str());
  abort();
}

struct fuzz_config : caf::actor_system_config {
  fuzz_config() {
    set("scheduler.policy", caf::atom("sharing"));
    // One worker: the cluster actor and the stand-in take turns on it. Put
    // into `content` directly: set() of an integer crashed when built with
    // clang against Debian's g++-built libcaf_core (registry_fuzz.cpp).
    caf::put(content, "scheduler.max-threads", 1);
    configure(*this);
    register_types(*this);
    // Without the middleman CAF 0.17 leaves the node id invalid, and two
    // systems would look like one node. Loaded for the node id only:
    // nothing is published or connected.
    load<caf::io::middleman>();
  }
};

caf::actor_system& node_sys() {
  static auto* cfg = new fuzz_config;
  static auto* result = new caf::actor_system(*cfg);
  return *result;
}

/// The peer's node: another system, so another node id.
caf::actor_system& peer_sys() {
  static auto* cfg = new fuzz_config;
  static auto* result = new caf::actor_system(*cfg);
  return *result;
}

hello make_hello(std::string node, incarnation_id incarnation) {
  hello h;
  h.cluster = "fuzz";
  h.self = node_address{std::move(node), "127.0.0.1", 4000, incarnation};
  h.heartbeat_ms = 500;
  h.connection_timeout_ms = 2000;
  return h;
}

caf::timestamp at(int seconds) {
  return caf::timestamp{std::chrono::seconds{seconds}};
}

online_user user(std::string login, std::string token, int stamp) {
  online_user u;
  u.login_id = std::move(login);
  u.token = std::move(token);
  u.device = "web";
  u.connect_time = at(stamp);
  u.last_activity = at(stamp);
  return u;
}

/// This node's own sessions, as the registry answers the attach.
detail::local_changes local_sessions() {
  detail::local_changes xs;
  for (auto& u : {user("l1", "t1", 100), user("l2", "t2", 200)})
    xs.push_back(detail::local_change{false, u});
  return xs;
}

// -- the registry stand-in -----------------------------------------------------

using remote_count_atom = caf::atom_constant<caf::atom("fRemotes")>;

/// The registry's side of cluster_feed.hpp, with checks on what it is told.
caf::behavior standin(caf::event_based_actor* self) {
  // (login, token) -> node of the remote sessions the table shows.
  auto table = std::make_shared<
    std::map<std::pair<std::string, std::string>, std::string>>();
  return {
    [=](detail::attach_cluster_atom, const std::string&, const caf::actor&) {
      return local_sessions();
    },
    [=](detail::replica_atom, detail::remote_update& u) {
      limits lim;
      if (u.node.empty() || u.node == "m")
        fail("an update for node '" + u.node + "'");
      for (auto& c : u.changes) {
        auto& s = c.session;
        if (s.node != u.node)
          fail("a session of '" + s.node + "' in an update of '" + u.node
               + "'");
        std::pair<std::string, std::string> key{s.login_id, s.token};
        if (c.removed) {
          auto i = table->find(key);
          if (i != table->end() && i->second == u.node)
            table->erase(i);
          continue;
        }
        replica_session r{s.login_id,      s.token,       s.device,
                          s.connect_time, s.last_activity, s.metadata};
        if (auto err = check_session(r, lim))
          fail("an invalid session shown: " + caf::to_string(err));
        (*table)[key] = u.node;
      }
    },
    [=](detail::move_out_atom, const std::string& login,
        const std::string& token, const std::string&) {
      for (auto& x : local_sessions())
        if (x.session.login_id == login && x.session.token == token)
          return;
      fail("a move out of " + login + "/" + token + ", no local session");
    },
    [=](detail::node_event_atom, bool, const std::string&) {},
    [](detail::peer_stats_atom, const std::vector<peer_stats>&, uint64_t) {},
    // The answer to the push the node routed to the peer at the start of
    // the input: the peer's, or its failure once the peer is lost.
    [=](detail::routed_atom, const std::string& node, uint64_t,
        detail::op_result&) {
      if (node != peer_name)
        fail("a routed push answered for node '" + node + "'");
    },
    [=](detail::batch_atom, detail::client_batch& b) {
      detail::client_results res;
      for (auto& op : b.ops) {
        detail::op_result r;
        r.ticket = op.ticket;
        res.results.push_back(std::move(r));
      }
      self->send(b.reply_to, detail::results_atom::value, std::move(res));
    },
    [=](remote_count_atom) { return table->size(); },
  };
}

// -- decoding ------------------------------------------------------------------

/// Reads one message from `src` and sends it from `peer`, as the
/// middleman would deliver it; false if the bytes do not decode.
bool deliver(msg type, caf::binary_deserializer& src, caf::scoped_actor& peer,
             const caf::actor& cluster) {
  switch (type) {
    case msg::hello: {
      hello x;
      if (src(x))
        return false;
      // A request, as a dialing node sends it; the answer is not needed.
      peer->request(cluster, timeout, hello_atom::value, std::move(x))
        .receive([](hello&) {}, [](caf::error&) {});
      return true;
    }
    case msg::delta: {
      owner_delta x;
      if (src(x))
        return false;
      peer->send(cluster, delta_atom::value, std::move(x));
      return true;
    }
    case msg::snapshot: {
      snapshot_chunk x;
      if (src(x))
        return false;
      peer->send(cluster, snapshot_atom::value, std::move(x));
      return true;
    }
    case msg::status: {
      incarnation_id incarnation = 0;
      seq_number seq = 0;
      if (src(incarnation, seq))
        return false;
      peer->send(cluster, status_atom::value, incarnation, seq);
      return true;
    }
    case msg::gossip: {
      std::vector<node_address> xs;
      if (src(xs))
        return false;
      peer->send(cluster, gossip_atom::value, std::move(xs));
      return true;
    }
    case msg::leave: {
      incarnation_id incarnation = 0;
      if (src(incarnation))
        return false;
      peer->send(cluster, leave_atom::value, incarnation);
      return true;
    }
    case msg::resync:
      peer->send(cluster, resync_atom::value);
      return true;
    case msg::forward: {
      detail::client_op x;
      if (src(x))
        return false;
      peer
        ->request(cluster, timeout, detail::forward_atom::value, std::move(x))
        .receive([](detail::op_result&) {},
                 [](caf::error&) {});
      return true;
    }
    case msg::ack: {
      incarnation_id incarnation = 0;
      seq_number seq = 0;
      if (src(incarnation, seq))
        return false;
      peer->send(cluster, ack_atom::value, incarnation, seq);
      return true;
    }
    case msg::route: {
      detail::client_op x;
      if (src(x))
        return false;
      peer->send(cluster, detail::route_atom::value, std::move(x));
      return true;
    }
    case msg::routed: {
      uint64_t ticket = 0;
      detail::op_result x;
      if (src(ticket, x))
        return false;
      peer->send(cluster, detail::routed_atom::value, ticket, std::move(x));
      return true;
    }
    case msg::count:
      break;
  }
  return false;
}

/// Sends every message of the input from the peer.
void run(const uint8_t* data, size_t size, caf::scoped_actor& peer,
         const caf::actor& cluster) {
  caf::binary_deserializer src{node_sys(), reinterpret_cast<const char*>(data),
                               size};
  for (size_t n = 0; n < max_messages && src.remaining() > 0; ++n) {
    uint8_t type = 0;
    if (src(type))
      break;
    if (!deliver(static_cast<msg>(type % static_cast<uint8_t>(msg::count)), src,
                 peer, cluster))
      break;
  }
}

/// The answer of `dest` to `xs`; any error fails the run.
template <class T, class... Ts>
T ask(caf::scoped_actor& self, const caf::actor& dest, const char* what,
      Ts&&... xs) {
  T result{};
  self->request(dest, timeout, std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) {
               fail(std::string{what} + ": " + caf::to_string(err));
             });
  return result;
}

// -- the seed corpus -------------------------------------------------------------

struct seed_writer {
  std::vector<char> buf;
  caf::binary_serializer sink{node_sys(), buf};

  template <class... Ts>
  seed_writer& add(msg type, Ts&&... xs) {
    auto tag = static_cast<uint8_t>(type);
    if (sink(tag, std::forward<Ts>(xs)...))
      fail("cannot serialize a seed");
    return *this;
  }

  void write(const std::string& dir, const std::string& name) {
    std::ofstream out{dir + "/" + name, std::ios::binary};
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (!out)
      fail("cannot write " + dir + "/" + name);
  }
};

replica_session rsess(std::string login, std::string token, int stamp) {
  return replica_session{std::move(login), std::move(token), "ios",
                         at(stamp), at(stamp), {{"room", "7"}}};
}

void write_seeds(const std::string& dir) {
  auto snap = [](seq_number seq, std::vector<replica_session> xs) {
    return snapshot_chunk{peer_name, peer_incarnation, seq, 0, true,
                          std::move(xs)};
  };
  auto delta = [](seq_number seq, std::vector<session_op> ops) {
    return owner_delta{peer_name, peer_incarnation, seq, std::move(ops)};
  };
  session_op removal{op_kind::remove, {}};
  removal.session.login_id = "u1";
  removal.session.token = "a";
  detail::client_op op;
  op.ticket = 1;
  op.kind = detail::op_kind::mark_offline;
  op.user = user("l1", "t1", 100);
  auto h = make_hello(peer_name, peer_incarnation);
  std::vector<node_address> addresses{h.self,
                                      node_address{"q", "127.0.0.1", 4001, 9},
                                      node_address{"a", "127.0.0.1", 4002, 3}};
  // One message of each type.
  seed_writer{}.add(msg::hello, h).write(dir, "hello");
  seed_writer{}.add(msg::delta, delta(1, {{op_kind::upsert, rsess("u1", "a", 5)}}))
    .write(dir, "delta");
  seed_writer{}.add(msg::snapshot, snap(0, {rsess("u1", "a", 5)}))
    .write(dir, "snapshot");
  seed_writer{}.add(msg::status, peer_incarnation, seq_number{3})
    .write(dir, "status");
  seed_writer{}.add(msg::gossip, addresses).write(dir, "gossip");
  seed_writer{}.add(msg::leave, peer_incarnation).write(dir, "leave");
  seed_writer{}.add(msg::resync).write(dir, "resync");
  seed_writer{}.add(msg::forward, op).write(dir, "forward");
  // This node's incarnation (LLVMFuzzerTestOneInput), at the seq of its
  // snapshot at the join.
  seed_writer{}.add(msg::ack, node_incarnation, seq_number{0})
    .write(dir, "ack");
  detail::client_op push;
  push.ticket = 3;
  push.kind = detail::op_kind::push_users;
  push.login_ids = {"l1", "l2"};
  push.message.content = "hi";
  seed_writer{}.add(msg::route, push).write(dir, "route");
  // The answer to the push the node routed at the start (its ticket 1).
  detail::op_result answer;
  answer.report.users_targeted = 1;
  answer.report.users_reached = 1;
  seed_writer{}.add(msg::routed, uint64_t{1}, answer).write(dir, "routed");
  // Sequences: a snapshot, deltas in order and out of it, a claim on a
  // local token that beats this node's and one that does not, chunks, a
  // status ahead of the copy, and a leave.
  seed_writer{}
    .add(msg::snapshot, snap(0, {rsess("u1", "a", 5), rsess("l1", "t1", 150)}))
    .add(msg::delta, delta(1, {{op_kind::upsert, rsess("u2", "b", 6)}}))
    .add(msg::delta, delta(3, {removal}))
    .add(msg::delta, delta(2, {removal, {op_kind::upsert, rsess("l2", "t2", 50)}}))
    .add(msg::status, peer_incarnation, seq_number{4})
    .add(msg::ack, node_incarnation, seq_number{0})
    .add(msg::ack, node_incarnation, seq_number{5})
    .add(msg::leave, peer_incarnation)
    .write(dir, "replication");
  seed_writer{}
    .add(msg::snapshot, snapshot_chunk{peer_name, peer_incarnation, 2, 0, false,
                                       {rsess("u1", "a", 5)}})
    .add(msg::snapshot, snapshot_chunk{peer_name, peer_incarnation, 2, 1, true,
                                       {rsess("u2", "b", 6)}})
    .add(msg::resync)
    .add(msg::snapshot, snap(1, {}))
    .write(dir, "chunks");
  seed_writer{}
    .add(msg::gossip, addresses)
    .add(msg::hello, make_hello("q", 9))
    .add(msg::forward, op)
    .write(dir, "rejoin");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (auto dir = getenv("CLUSTER_FUZZ_WRITE_SEEDS")) {
    write_seeds(dir);
    exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* driver = new caf::scoped_actor(node_sys());
  auto& self = *driver;
  auto registry = node_sys().spawn(standin);
  cluster_config cfg;
  cfg.cluster = "fuzz";
  cfg.self = node_address{"m", "127.0.0.1", 4000, node_incarnation};
  cfg.heartbeat_ms = 500;
  cfg.connection_timeout_ms = 2000;
  // Gossip may ask for dials; none runs (each input is one peer's word).
  auto cluster = spawn_cluster_actor(node_sys(), registry, cfg,
                                     [](caf::actor, uint64_t, std::string,
                                        uint16_t) {});
  if (!ask<bool>(self, cluster, "start", start_atom::value, std::string{"m"},
                 std::string{"127.0.0.1"}, uint16_t{4000}))
    fail("start refused");
  {
    caf::scoped_actor peer{peer_sys()};
    auto theirs = ask<hello>(peer, cluster, "join", hello_atom::value,
                             make_hello(peer_name, peer_incarnation));
    if (theirs.self.node != "m")
      fail("joined the wrong node");
    // One push routed to the peer, so that its answers have one to match.
    detail::client_op push;
    push.kind = detail::op_kind::push_users;
    push.login_ids = {"u1"};
    self->send(cluster, detail::route_atom::value, std::string{peer_name},
               std::move(push));
    run(data, size, peer, cluster);
    // The peer's actor ends here: its link is lost. Its messages are in the
    // cluster actor's mailbox before the down message and the request below
    // (all enqueued from this thread, in this order).
  }
  auto members = ask<std::vector<member_info>>(self, cluster, "members",
                                               members_atom::value);
  for (auto& m : members)
    if (!m.self && m.state != peer_state::down)
      fail("node '" + m.node + "' is still " + to_string(m.state)
           + " after its link was lost");
  auto left = ask<size_t>(self, registry, "the table",
                          remote_count_atom::value);
  if (left != 0)
    fail(std::to_string(left)
         + " remote sessions left after the peer was lost");
  // Not waited for: both go while the next input runs.
  self->send_exit(cluster, caf::exit_reason::user_shutdown);
  self->send_exit(registry, caf::exit_reason::user_shutdown);
  return 0;
}

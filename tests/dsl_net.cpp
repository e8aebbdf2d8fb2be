#include "dsl_net.hpp"

#include <algorithm>

#include <caf/io/middleman_actor.hpp>

#include "cluster/dialer.hpp"
#include "presence/cluster_error.hpp"
#include "presence/registry.hpp"

#include "test_util.hpp"
#include "spawn_fn.hpp"

namespace test::dsl {

namespace {

using presence::cluster::dial_result_atom;

/// The dialer's probe, answered from the harness's partition table instead
/// of a socket.
class partition_probe : public presence::cluster::address_probe {
public:
  partition_probe(const network* net, size_t self) : net_(net), self_(self) {
  }

  caf::error probe(const std::string& host, uint16_t port,
                   caf::timespan) override {
    for (size_t j = 0; j < net_->size(); ++j)
      if (net_->at(j).name == host) {
        // Cut off, or nothing listens there while the node is out.
        if (net_->is_cut(self_, j) || !net_->at(j).cluster
            || net_->at(j).port != port)
          return presence::make_error(
            presence::cluster_error::connection_refused, host);
        return caf::none;
      }
    return presence::make_error(presence::cluster_error::unresolvable, host);
  }

private:
  const network* net_;
  size_t self_;
};

} // namespace

network::network(size_t n) {
  for (size_t i = 0; i < n; ++i) {
    auto x = std::make_unique<node>();
    x->name = "n" + std::to_string(i);
    x->acceptor = caf::io::accept_handle::from_int(++next_hdl_);
    x->p = std::make_unique<planet>([this] { drain(); });
    auto reg = presence::spawn_registry(x->p->sys);
    REQUIRE(reg);
    x->registry = caf::actor_cast<caf::actor>(*reg);
    nodes_.push_back(std::move(x));
  }
  drain();
}

network::~network() {
  for (size_t i = 0; i < size(); ++i)
    if (at(i).cluster)
      leave(i);
  for (auto& x : nodes_)
    caf::anon_send_exit(x->registry, caf::exit_reason::user_shutdown);
  drain();
  // Planets go in reverse order; each one's system waits for its actors.
  while (!nodes_.empty())
    nodes_.pop_back();
}

void network::drain() {
  auto step = [](std::unique_ptr<node>& x) {
    auto& p = *x->p;
    return p.sched.try_run_once() || p.mpx.read_data()
           || p.mpx.try_exec_runnable() || p.mpx.try_accept_connection();
  };
  while (std::any_of(nodes_.begin(), nodes_.end(), step))
    ; // repeat
}

void network::tick() {
  for (auto& x : nodes_)
    x->p->sched.advance_time(tick_interval);
  drain();
}

size_t network::index_of(const std::string& host) const {
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i]->name == host)
      return i;
  return nodes_.size();
}

bool network::is_cut(size_t i, size_t j) const {
  return cuts_.count(std::minmax(i, j)) > 0;
}

presence::cluster::dial_function network::dial_for(size_t i) {
  auto probe = std::make_shared<partition_probe>(this, i);
  return [this, i, probe](caf::actor self, uint64_t attempt, std::string host,
                          uint16_t port) {
    auto& me = at(i);
    // Answers come from an actor of this node, as the real dialer's do.
    auto answer = [&](auto x) {
      test::spawn_fn(me.p->sys, [=](caf::event_based_actor* helper) {
        helper->send(self, dial_result_atom::value, attempt, x);
      });
    };
    if (auto err = probe->probe(host, port, std::chrono::seconds(1))) {
      answer(std::move(err));
      return;
    }
    auto j = index_of(host);
    // A connection prepared for an earlier dial that the middleman answered
    // from its cache is still waiting: the next connect takes that one.
    if (!me.p->mpx.has_pending_scribe(host, port)) {
      link l{i, j, caf::io::connection_handle::from_int(++next_hdl_),
             caf::io::connection_handle::from_int(++next_hdl_), host, port};
      at(j).p->mpx.prepare_connection(at(j).acceptor, l.server_hdl, me.p->mpx,
                                      host, port, l.client_hdl);
      links_.push_back(l);
    }
    auto mm = me.p->mm.actor_handle();
    test::spawn_fn(me.p->sys, [=](caf::event_based_actor* helper) {
      // Simulated time: a connect that never completes fails the dial.
      helper
        ->request(mm, std::chrono::seconds(5), caf::connect_atom::value, host,
                  port)
        .then(
          [=](caf::node_id&, caf::strong_actor_ptr& ptr,
              std::set<std::string>&) {
            if (ptr)
              helper->send(self, dial_result_atom::value, attempt,
                           caf::actor_cast<caf::actor>(ptr));
            else
              helper->send(self, dial_result_atom::value, attempt,
                           presence::make_error(
                             presence::cluster_error::connect_failed, host));
          },
          [=](caf::error& err) {
            helper->send(self, dial_result_atom::value, attempt, err);
          });
    });
  };
}

void network::join(size_t i, const std::vector<size_t>& seeds) {
  auto& x = at(i);
  REQUIRE(!x.cluster);
  presence::cluster::cluster_config cfg;
  cfg.cluster = "dsl";
  // Distinct and repeatable: the dial backoff is seeded from it.
  cfg.self.incarnation = (i + 1) * 1000 + ++x.generation;
  for (auto s : seeds)
    cfg.seeds.emplace_back(at(s).name, at(s).port);
  cfg.tick_interval = tick_interval;
  x.cluster = presence::cluster::spawn_cluster_actor(x.p->sys, x.registry, cfg,
                                                     dial_for(i));
  // A no-op if a prepared connection put it back already.
  x.p->mpx.provide_acceptor(x.port, x.acceptor);
  // Asked with a message: the DSL's publish needs the middleman to run
  // inline at the next enqueue, and hung once when another came first.
  auto published = ask<uint16_t>(
    i, x.p->mm.actor_handle(), caf::publish_atom::value, x.port,
    caf::actor_cast<caf::strong_actor_ptr>(x.cluster),
    std::set<std::string>{}, std::string{}, false);
  REQUIRE(published == x.port);
  auto ok = ask<bool>(i, x.cluster, presence::cluster::start_atom::value,
                      x.name, x.name, x.port);
  REQUIRE(ok);
  REQUIRE(*ok);
}

void network::leave(size_t i) {
  auto& x = at(i);
  REQUIRE(x.cluster);
  auto cluster = x.cluster;
  auto port = x.port;
  auto mm = x.p->mm.actor_handle();
  x.cluster = nullptr;
  // The cluster actor takes exit messages only from an actor of its node
  // that names itself; then the port closes, as stop_cluster does.
  test::spawn_fn(x.p->sys, [=](caf::event_based_actor* self) {
    self->send_exit(cluster, caf::exit_reason::user_shutdown);
    self->request(mm, std::chrono::seconds(5), caf::unpublish_atom::value,
                  cluster.address(), port)
      .then([] {}, [](caf::error&) {});
  });
  drain();
}

void network::cut(size_t i, size_t j) {
  cuts_.insert(std::minmax(i, j));
  auto close = [](planet& p, caf::io::connection_handle h) {
    auto& ptr = p.mpx.impl_ptr(h);
    if (ptr)
      ptr->io_failure(&p.mpx, caf::io::network::operation::read);
  };
  auto between = [&](const link& l) {
    return std::minmax(l.client, l.server) == std::minmax(i, j);
  };
  for (auto& l : links_)
    if (between(l)) {
      close(*at(l.client).p, l.client_hdl);
      close(*at(l.server).p, l.server_hdl);
      // A connect prepared for a dial that the middleman answered from its
      // cache is still waiting on the client's side, and its server's end is
      // closed now: the next connect would take it and wait forever for a
      // handshake. Taken away here, as a refused connect.
      auto& mpx = at(l.client).p->mpx;
      if (!mpx.impl_ptr(l.client_hdl) && mpx.has_pending_scribe(l.host, l.port))
        if (auto x = mpx.new_tcp_scribe(l.host, l.port))
          mpx.impl_ptr((*x)->hdl()) = nullptr;
    }
  links_.erase(std::remove_if(links_.begin(), links_.end(), between),
               links_.end());
  drain();
}

void network::heal(size_t i, size_t j) {
  cuts_.erase(std::minmax(i, j));
}

void network::heal_all() {
  cuts_.clear();
}

bool network::login(size_t i, const std::string& login_id,
                    const std::string& token) {
  auto r = ask<presence::change_result>(i, at(i).registry,
                                        presence::mark_online_atom::value,
                                        test::user(login_id, token));
  return r && r->status == presence::change_status::joined;
}

bool network::logout(size_t i, const std::string& login_id,
                     const std::string& token) {
  auto r = ask<presence::change_result>(i, at(i).registry,
                                        presence::mark_offline_atom::value,
                                        login_id, token);
  return r && r->removed == 1;
}

std::optional<uint64_t> network::digest(size_t i) {
  if (!at(i).cluster)
    return std::nullopt;
  return ask<uint64_t>(i, at(i).cluster, presence::digest_atom::value);
}

std::vector<std::string> network::up_peers(size_t i) {
  std::vector<std::string> result;
  if (!at(i).cluster)
    return result;
  auto ms = ask<std::vector<presence::member_info>>(
    i, at(i).cluster, presence::members_atom::value);
  if (ms)
    for (auto& m : *ms)
      if (!m.self && m.state == presence::peer_state::up)
        result.push_back(m.node);
  std::sort(result.begin(), result.end());
  return result;
}

std::vector<std::string> network::owners_of(size_t i,
                                            const std::string& login_id) {
  std::vector<std::string> result;
  auto xs = ask<std::vector<presence::online_user>>(
    i, at(i).registry, presence::user_sessions_atom::value, login_id);
  if (xs)
    for (auto& s : *xs)
      result.push_back(s.node);
  std::sort(result.begin(), result.end());
  return result;
}

bool network::converged() {
  std::vector<size_t> joined;
  for (size_t i = 0; i < size(); ++i)
    if (at(i).cluster)
      joined.push_back(i);
  std::optional<uint64_t> first;
  for (auto i : joined) {
    std::vector<std::string> expected;
    for (auto j : joined)
      if (j != i)
        expected.push_back(at(j).name);
    if (up_peers(i) != expected)
      return false;
    auto d = digest(i);
    if (!d || (first && *first != *d))
      return false;
    first = d;
  }
  return true;
}

std::string network::describe() {
  std::string result;
  for (size_t i = 0; i < size(); ++i) {
    result += at(i).name + ":";
    if (!at(i).cluster) {
      result += " out\n";
      continue;
    }
    auto ms = ask<std::vector<presence::member_info>>(
      i, at(i).cluster, presence::members_atom::value);
    if (ms)
      for (auto& m : *ms)
        result += " " + m.node + "#" + std::to_string(m.incarnation) + "="
                  + presence::to_string(m.state);
    auto d = digest(i);
    result += " digest " + (d ? std::to_string(*d) : std::string{"?"}) + "\n";
  }
  return result;
}

} // namespace test::dsl

#include "soak_pushers.hpp"

#include <random>
#include <utility>

#include <caf/all.hpp>

namespace soak {

namespace {

void count(pusher_counts& c, const presence::delivery_batch& batch) {
  c.batches.fetch_add(1, std::memory_order_relaxed);
  c.deliveries.fetch_add(batch.deliveries.size(), std::memory_order_relaxed);
}

struct flaky_state {
  std::mt19937_64 rng;
};

} // namespace

presence::pusher_actor spawn_good_pusher(caf::actor_system& sys,
                                         std::shared_ptr<pusher_counts> c) {
  return sys.spawn([c](presence::pusher_actor::pointer)
                     -> presence::pusher_actor::behavior_type {
    return {
      [c](presence::deliver_atom, const presence::delivery_batch& batch) {
        count(*c, batch);
      },
    };
  });
}

presence::pusher_actor spawn_flaky_pusher(caf::actor_system& sys,
                                          std::shared_ptr<pusher_counts> c,
                                          double fail_rate, double stall_rate,
                                          uint64_t seed) {
  using pointer = presence::pusher_actor::stateful_pointer<flaky_state>;
  return sys.spawn([=](pointer self) -> presence::pusher_actor::behavior_type {
    self->state.rng.seed(seed);
    return {
      [=](presence::deliver_atom,
          const presence::delivery_batch& batch) -> caf::result<void> {
        count(*c, batch);
        auto x = std::uniform_real_distribution<double>{}(self->state.rng);
        if (x < fail_rate) {
          c->failed.fetch_add(1, std::memory_order_relaxed);
          return caf::make_error(caf::sec::runtime_error,
                                 "soak pusher refuses");
        }
        if (x < fail_rate + stall_rate) {
          // Dropping the promise unanswered: a stuck gateway, as the
          // registry sees it.
          c->stalled.fetch_add(1, std::memory_order_relaxed);
          return self->make_response_promise();
        }
        return caf::unit;
      },
    };
  });
}

presence::pusher_actor spawn_mortal_pusher(caf::actor_system& sys,
                                           std::shared_ptr<pusher_counts> c,
                                           std::shared_ptr<mortal_switch> sw) {
  return sys.spawn([c, sw](presence::pusher_actor::pointer self)
                     -> presence::pusher_actor::behavior_type {
    return {
      [=](presence::deliver_atom,
          const presence::delivery_batch& batch) -> caf::result<void> {
        count(*c, batch);
        if (!sw->die.load())
          return caf::unit;
        c->died_holding.fetch_add(1, std::memory_order_relaxed);
        auto rp = self->make_response_promise();
        self->quit(caf::make_error(caf::exit_reason::user_shutdown));
        sw->dead.store(true);
        return rp;
      },
    };
  });
}

} // namespace soak

// libFuzzer target: fuzz bytes become messages for the registry, as any
// holder of its handle could send them (fuzz_ops.cpp). Every answer and the
// registry's published state (counts, session lists, the offline buffer's
// size) must match the reference model (tests/model/reference_model.hpp). A
// mismatch or a hang aborts, which libFuzzer reports as a crash with the
// input that caused it.
//
// One manager (registry, offline buffer) serves every input: a fresh one per
// input cost more than the input itself. Inputs stay independent because
// each ends with a reset (fuzz_driver.cpp): every user it left online is
// taken offline, messages it buffered are replayed to a pusher subscribed
// only for that, and the registry must then be empty again: no user, no
// session, nothing buffered. Only if the buffer cannot be emptied is the
// manager replaced. So every input starts from the same empty registry, and
// a crashing input reproduces when run alone.
//
// The actor system is created once with `new` and never destroyed (a static
// one crashed in ~actor_system at exit under libFuzzer).

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "fuzz/fuzz_driver.hpp"

using namespace presence;

namespace {

struct fuzz_config : caf::actor_system_config {
  fuzz_config() {
    // Work sharing without a polling worker: the driver is one thread.
    set("scheduler.policy", caf::atom("sharing"));
    // One worker by default (FUZZ_WORKERS overrides): the registry and its
    // user actors take turns on it instead of waking a second worker for
    // every message, which made two workers ~30% slower per input. Written
    // into `content` directly: set() of an integer crashes here (below).
    auto workers = getenv("FUZZ_WORKERS");
    caf::put(content, "scheduler.max-threads",
             workers != nullptr ? std::max(1, atoi(workers)) : 1);
    configure(*this);
    // The offline buffer keeps its default size (64 a user): setting an
    // integer option here crashed in caf::config_option::check (a null
    // function pointer) when this target is built with clang against
    // Debian's g++-built libcaf_core.
  }
};

caf::actor_system& sys() {
  static auto* cfg = new fuzz_config;
  static auto* result = new caf::actor_system(*cfg);
  return *result;
}

online_manager* fresh_manager() {
  auto* mgr = new online_manager(sys());
  if (mgr->status())
    fuzz::fail("manager unusable: " + sys().render(mgr->status()));
  return mgr;
}

/// Confirms every batch: the reset subscribes it to drain the buffer.
pusher_actor::behavior_type sink() {
  return {[](deliver_atom, const delivery_batch&) {}};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* self = new caf::scoped_actor(sys());
  static auto* pusher = new pusher_actor(sys().spawn(sink));
  static auto* mgr = fresh_manager();
  fuzz::driver d{*mgr, *self, *pusher};
  fuzz::reader in{data, size};
  d.run(in);
  if (!d.reset()) {
    // Messages for a login id no login accepts: only a new buffer empties.
    delete mgr;
    mgr = fresh_manager();
  }
  return 0;
}

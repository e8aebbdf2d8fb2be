#include "scheduler/lean_clock.hpp"

#include <caf/abstract_actor.hpp>

namespace presence::detail {

void lean_clock::note(caf::abstract_actor* self) {
  std::lock_guard<std::mutex> guard{mtx_};
  timed_.insert(self->id());
}

void lean_clock::set_ordinary_timeout(time_point t, caf::abstract_actor* self,
                                      caf::atom_value type, uint64_t id) {
  note(self);
  super::set_ordinary_timeout(t, self, type, id);
}

void lean_clock::set_request_timeout(time_point t, caf::abstract_actor* self,
                                     caf::message_id id) {
  note(self);
  super::set_request_timeout(t, self, id);
}

void lean_clock::set_multi_timeout(time_point t, caf::abstract_actor* self,
                                   caf::atom_value type, uint64_t id) {
  note(self);
  super::set_multi_timeout(t, self, type, id);
}

void lean_clock::cancel_timeouts(caf::abstract_actor* self) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    // An actor that never set a timeout has none to cancel.
    if (timed_.erase(self->id()) == 0)
      return;
  }
  super::cancel_timeouts(self);
}

size_t lean_clock::timed_actors() {
  std::lock_guard<std::mutex> guard{mtx_};
  return timed_.size();
}

} // namespace presence::detail

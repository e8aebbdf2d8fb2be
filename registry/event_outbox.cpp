#include "registry/event_outbox.hpp"

namespace presence::detail {

presence_events event_outbox::take(time_point now) {
  last_flush_ = now;
  presence_events batch{next_seq_, std::move(events_)};
  next_seq_ += batch.events.size();
  events_ = {};
  return batch;
}

} // namespace presence::detail

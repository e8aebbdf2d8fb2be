#include "registry/event_outbox.hpp"

#include "memory/huge_pages.hpp"

namespace presence::detail {

static_assert(sizeof(presence_event) * event_outbox::max_batch
                < malloc_mmap_threshold,
              "a full batch's vector stays under malloc's mmap threshold");

presence_events event_outbox::take(time_point now) {
  last_flush_ = now;
  presence_events batch{next_seq_, std::move(events_)};
  next_seq_ += batch.events.size();
  events_ = {};
  return batch;
}

} // namespace presence::detail

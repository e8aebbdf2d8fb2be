#include "actors/registry_admission.hpp"

#include <cstring>

#include <caf/local_actor.hpp>
#include <caf/response_promise.hpp>

#include "presence/error.hpp"
#include "registry/user_table.hpp"

namespace presence::detail {

void registry_admission::count_rejected() {
  bump(counters_->rejected);
}

void registry_admission::reject(std::string what) {
  count_rejected();
  if (self_->current_message_id().is_request())
    self_->make_response_promise().deliver(
      make_error(error::malformed_message, std::move(what)));
}

bool registry_admission::from_self() {
  if (self_->current_sender() == self_->ctrl())
    return true;
  reject("an internal message from outside the registry");
  return false;
}

bool registry_admission::sender_is_user_actor() const {
  auto ptr = dynamic_cast<caf::local_actor*>(
    caf::actor_cast<caf::abstract_actor*>(self_->current_sender()));
  return ptr != nullptr && std::strcmp(ptr->name(), "presence.user") == 0;
}

caf::optional<origin> registry_admission::origin_of(const client_batch& batch) {
  auto& sender = self_->current_sender();
  if (!batch.reply_to || sender == nullptr
      || sender != caf::actor_cast<caf::strong_actor_ptr>(batch.reply_to))
    return caf::none;
  if (is_cluster(sender))
    return origin::cluster_peer;
  if (batch.reply_to.id() == own_client_->load(std::memory_order_acquire)
      && batch.reply_to.node() == self_->node())
    return origin::own_client;
  return origin::foreign_batch;
}

} // namespace presence::detail

namespace presence::detail {

bool registry_admission::may_attach(const caf::actor& handle) {
  auto& sender = self_->current_sender();
  if (sender != nullptr && sender->node() == self_->node() && handle
      && handle.node() == self_->node())
    return true;
  reject("attach: only an actor of this node may attach its cluster actor");
  return false;
}

void registry_admission::set_cluster(const caf::actor& handle) {
  cluster_ = handle.address();
}

bool registry_admission::is_cluster(const caf::strong_actor_ptr& sender) const {
  return sender != nullptr && cluster_
         && caf::actor_cast<caf::actor_addr>(sender) == cluster_;
}

bool registry_admission::from_cluster() {
  if (is_cluster(self_->current_sender()))
    return true;
  reject("a cluster message from an actor that is not the attached cluster "
         "actor");
  return false;
}

} // namespace presence::detail

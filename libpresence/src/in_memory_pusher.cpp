#include "presence/in_memory_pusher.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

namespace presence {

namespace {

template <class T, class... Ts>
caf::expected<T> ask(caf::actor_system& sys, const in_memory_pusher_actor& h,
                     Ts&&... xs) {
  caf::scoped_actor self{sys};
  caf::expected<T> result{caf::sec::none};
  self->request(h, caf::infinite, std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace

in_memory_pusher::in_memory_pusher(caf::actor_system& sys, size_t cap_per_user)
  : sys_(sys), handle_(spawn_in_memory_pusher(sys, cap_per_user)) {
}

in_memory_pusher::~in_memory_pusher() {
  caf::anon_send_exit(handle_, caf::exit_reason::user_shutdown);
}

in_memory_pusher::operator pusher_actor() const {
  return caf::actor_cast<pusher_actor>(handle_);
}

caf::expected<std::vector<push_message>>
in_memory_pusher::get_messages(const std::string& login_id) const {
  return ask<std::vector<push_message>>(sys_, handle_,
                                        get_messages_atom::value, login_id);
}

caf::expected<uint64_t>
in_memory_pusher::clear_messages(const std::string& login_id) const {
  return ask<uint64_t>(sys_, handle_, clear_messages_atom::value, login_id);
}

caf::expected<uint64_t> in_memory_pusher::dropped() const {
  return ask<uint64_t>(sys_, handle_, dropped_atom::value);
}

} // namespace presence

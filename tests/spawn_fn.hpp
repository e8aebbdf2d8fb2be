#pragma once

// spawn_fn: how the tests spawn a function-based actor that takes no
// arguments of its own.
//
// CAF 0.17.6 keeps such an actor's (empty) argument tuple as a null
// shared_ptr and still evaluates `*args_` when the actor starts, which
// UBSan reports as "reference binding to null pointer". Whether the
// suppressions file (tests/sanitizers/ubsan.supp) catches that report
// depends on how GCC inlined the caller: once none of its entries matched
// and the sanitizer build failed. Spawning with one unused argument keeps
// the tuple non-null, so the tests do not depend on the suppression.

#include <type_traits>

#include <caf/actor_system.hpp>
#include <caf/detail/type_list.hpp>
#include <caf/detail/type_traits.hpp>
#include <caf/spawn_options.hpp>

namespace test {

/// Spawns `fun`, a function object taking either nothing or the actor's self
/// pointer, as `sys.spawn<Os>(fun)` would.
template <caf::spawn_options Os = caf::no_spawn_options, class F>
auto spawn_fn(caf::actor_system& sys, F fun) {
  using args = typename caf::detail::get_callable_trait<F>::arg_types;
  static_assert(caf::detail::tl_size<args>::value <= 1,
                "spawn_fn: pass the actor's own arguments to sys.spawn");
  if constexpr (caf::detail::tl_size<args>::value == 0) {
    return sys.spawn<Os>([fun](int) { return fun(); }, 0);
  } else {
    using self_pointer = typename caf::detail::tl_head<args>::type;
    static_assert(std::is_pointer<self_pointer>::value,
                  "spawn_fn: the one parameter must be the self pointer");
    return sys.spawn<Os>(
      [fun](self_pointer self, int) { return fun(self); }, 0);
  }
}

} // namespace test

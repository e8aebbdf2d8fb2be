#pragma once

// The mass logout rows (M): with N users online, half of them go offline at
// once while two threads keep pushing to the other half.

#include <cstddef>
#include <string>
#include <vector>

#include <presence/config.hpp>

namespace bench {

/// Logs N users in, starts two threads pushing to users N/2..N-1 as fast as
/// the facade takes them, then takes users 0..N/2-1 offline with one
/// mark_offline_all call each (or one mark_offline_users call for all of
/// them, `one_call`) and measures until the last of their actors is
/// destroyed (the user actor pool's live count). The pushes of a span of the
/// same length right before the logout, all N users online, are the
/// reference. Rows: the span, push throughput and push p99
/// (send to pusher, as the L rows) with and without the logout; a machine
/// stall check follows once the pushers stopped. Exits non-zero if a
/// delivery is missing or extra or a retired actor outlives the timeout.
void run_mass_logout(size_t n, presence::config& cfg, bool one_call,
                     int stall_check_ms, int timeout_s,
                     std::vector<std::string>& notes);

} // namespace bench

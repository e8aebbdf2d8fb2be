#include "bench/one_user_rows.hpp"

#include <caf/all.hpp>

#include <presence/presence.hpp>

#include "bench/report.hpp"

namespace bench {

namespace {

constexpr const char* device = "web";

} // namespace

void run_one_user_rows(size_t k, const options& opts) {
  presence::config cfg;
  parse_caf_options(opts, cfg);
  caf::actor_system sys{cfg};
  double secs[3] = {0, 0, 0};
  {
    presence::online_manager mgr{sys};
    if (auto err = mgr.status())
      fail("one user: online_manager status: " + sys.render(err));
    for (int pass = 0; pass < 2; ++pass) {
      auto login_id = std::string{pass == 0 ? "pipelined" : "sequential"};
      progress("U%d one user, %zu logins %s", pass + 1, k, login_id.c_str());
      auto t0 = clk::now();
      for (size_t i = 0; i < k; ++i) {
        auto p = mgr.mark_online(presence::make_online_user(
          login_id, "t" + std::to_string(i), device));
        if (pass == 1)
          value_or_fail(sys, p.get(), "U2 mark_online");
      }
      auto sessions = value_or_fail(sys, mgr.get_session_count(),
                                    "U session count");
      secs[pass] = seconds_between(t0, clk::now());
      check(sessions == k * (pass + 1),
            "U: get_session_count() = " + std::to_string(sessions));
    }
    progress("U3 one user, %zu logouts", k);
    auto t0 = clk::now();
    for (size_t i = 0; i < k; ++i)
      mgr.mark_offline("pipelined", "t" + std::to_string(i));
    auto sessions = value_or_fail(sys, mgr.get_session_count(),
                                  "U3 session count");
    secs[2] = seconds_between(t0, clk::now());
    check(sessions == k, "U3: get_session_count() = "
                           + std::to_string(sessions));
  }
  print_row(rate_row("U1 one user, pipelined mark_online", k, k, secs[0],
                     reference{0, 0, 0}));
  print_row(rate_row("U2 one user, mark_online one by one", k, k, secs[1],
                     reference{0, 0, 0}));
  print_row(rate_row("U3 one user, pipelined mark_offline", k, k, secs[2],
                     reference{0, 0, 0}));
}

} // namespace bench

#include "soak_options.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace soak {

[[noreturn]] void usage_error(const std::string& what) {
  std::fprintf(stderr, "presence_soak: %s (see the comment at the top of "
                       "bench/soak.cpp)\n",
               what.c_str());
  std::exit(2);
}

namespace {

double parse_number(const std::string& arg, const std::string& value) {
  double x = 0;
  auto res = std::from_chars(value.data(), value.data() + value.size(), x);
  if (res.ec != std::errc{} || res.ptr != value.data() + value.size() || x < 0
      || !std::isfinite(x))
    usage_error("invalid number in " + arg);
  return x;
}

} // namespace

options parse_options(int argc, char** argv) {
  options o;
  o.caf_args.emplace_back(argv[0]);
  bool has_timeout = false;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--short") == 0) {
      o.minutes = 0.1;
      o.load.users = 2000;
      o.changes_per_minute = 30000;
      o.load.pushes_per_s = 2000;
      o.load.broadcast_every_s = 2;
      o.die_every_s = 1;
      o.sample_every_s = 1;
      o.rss_reference_s = 3;
      o.stall_check_ms = 0;
      o.drain_timeout_s = 60;
    }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--short")
      continue;
    auto eq = arg.find('=');
    auto key = arg.substr(0, eq);
    auto value = eq == std::string::npos ? std::string{} : arg.substr(eq + 1);
    auto num = [&] {
      if (eq == std::string::npos)
        usage_error(key + " needs =VALUE");
      return parse_number(arg, value);
    };
    auto count = [&] {
      auto x = num();
      if (x < 1 || x != std::floor(x))
        usage_error(key + " needs a whole number of at least 1");
      return static_cast<size_t>(x);
    };
    if (key == "--minutes")
      o.minutes = num();
    else if (key == "--users")
      o.load.users = count();
    else if (key == "--changes-per-minute")
      o.changes_per_minute = num();
    else if (key == "--pushes-per-second")
      o.load.pushes_per_s = num();
    else if (key == "--threads")
      o.load.churn_threads = count();
    else if (key == "--push-threads")
      o.load.push_threads = count();
    else if (key == "--fail-rate")
      o.fail_rate = num();
    else if (key == "--stall-rate")
      o.stall_rate = num();
    else if (key == "--die-every-s")
      o.die_every_s = num();
    else if (key == "--broadcast-every-s")
      o.load.broadcast_every_s = num();
    else if (key == "--sample-every-s")
      o.sample_every_s = std::max(num(), 0.1);
    else if (key == "--rss-reference-s")
      o.rss_reference_s = num();
    else if (key == "--stall-check-ms")
      o.stall_check_ms = static_cast<int>(num());
    else if (key == "--drain-timeout-s")
      o.drain_timeout_s = static_cast<int>(num());
    else if (key == "--seed")
      o.load.seed = static_cast<uint64_t>(num());
    else if (arg.compare(0, 2, "--") == 0) {
      has_timeout |= key == "--presence.pusher-timeout";
      o.caf_args.push_back(arg);
    } else
      usage_error("unknown argument " + arg);
  }
  if (o.fail_rate + o.stall_rate > 1)
    usage_error("--fail-rate plus --stall-rate exceeds 1");
  if (!has_timeout)
    o.caf_args.insert(o.caf_args.begin() + 1,
                      "--presence.pusher-timeout=200ms");
  o.load.changes_per_s = o.changes_per_minute / 60;
  return o;
}

} // namespace soak

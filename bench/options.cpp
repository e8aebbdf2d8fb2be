#include "bench/options.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <caf/actor_system_config.hpp>
#include <presence/cluster.hpp>

namespace bench {

namespace {

bool starts_with(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

[[noreturn]] void usage(const char* argv0, int rc) {
  std::fprintf(rc == 0 ? stdout : stderr,
               "usage: %s [N...] [--bench-latency-ms=MS] "
               "[--bench-latency-warmup-ms=MS] "
               "[--bench-latency-rate=R] [--bench-timeout-s=S] "
               "[--bench-main=0|1] [--bench-expiry=0|1] [--bench-one-user=K] "
               "[--bench-cluster-peer=PATH] [--bench-cluster-peer-events=0|1] "
               "[--bench-mass-logout=0|1] "
               "[--bench-mass-logout-call=each|list] "
               "[--bench-stall-check-ms=MS] [--bench-latency-pacing=spin|sleep] "
               "[--<caf or presence option>=VALUE...]\n"
               "  default N list: 10000 100000 1000000\n",
               argv0);
  std::exit(rc);
}

long long parse_int(const std::string& s, const char* argv0,
                    bool allow_zero = false) {
  long long v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc{} || res.ptr != s.data() + s.size() || v < 0
      || (v == 0 && !allow_zero)) {
    std::fprintf(stderr, "invalid number: %s\n", s.c_str());
    usage(argv0, 2);
  }
  return v;
}

bool parse_flag(const std::string& s, const char* argv0) {
  if (s != "0" && s != "1") {
    std::fprintf(stderr, "expected 0 or 1, got: %s\n", s.c_str());
    usage(argv0, 2);
  }
  return s == "1";
}

} // namespace

options parse_options(int argc, char** argv) {
  options opts;
  opts.caf_args.emplace_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value_of = [&](const char* key) -> std::string {
      auto eq = arg.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "%s needs =VALUE\n", key);
        usage(argv[0], 2);
      }
      return arg.substr(eq + 1);
    };
    if (starts_with(arg, "--bench-help")) {
      usage(argv[0], 0);
    } else if (starts_with(arg, "--bench-latency-warmup-ms")) {
      opts.latency_warmup_ms = static_cast<int>(
        parse_int(value_of("--bench-latency-warmup-ms"), argv[0]));
    } else if (starts_with(arg, "--bench-latency-ms")) {
      opts.latency_ms = static_cast<int>(
        parse_int(value_of("--bench-latency-ms"), argv[0]));
    } else if (starts_with(arg, "--bench-latency-rate")) {
      opts.latency_rate = static_cast<double>(
        parse_int(value_of("--bench-latency-rate"), argv[0]));
    } else if (starts_with(arg, "--bench-latency-pacing")) {
      auto v = value_of("--bench-latency-pacing");
      if (v != "spin" && v != "sleep")
        usage(argv[0], 2);
      opts.sleep_pacing = v == "sleep";
    } else if (starts_with(arg, "--bench-timeout-s")) {
      opts.timeout_s = static_cast<int>(
        parse_int(value_of("--bench-timeout-s"), argv[0]));
    } else if (starts_with(arg, "--bench-stall-check-ms")) {
      opts.stall_check_ms = static_cast<int>(
        parse_int(value_of("--bench-stall-check-ms"), argv[0], true));
    } else if (starts_with(arg, "--bench-cluster-peer-events")) {
      opts.cluster_peer_events = parse_flag(
        value_of("--bench-cluster-peer-events"), argv[0]);
    } else if (starts_with(arg, "--bench-cluster-peer")) {
      opts.cluster_peer = value_of("--bench-cluster-peer");
    } else if (starts_with(arg, "--bench-one-user")) {
      opts.one_user = static_cast<size_t>(
        parse_int(value_of("--bench-one-user"), argv[0]));
    } else if (starts_with(arg, "--bench-main")) {
      opts.main_rows = parse_flag(value_of("--bench-main"), argv[0]);
    } else if (starts_with(arg, "--bench-mass-logout-call")) {
      auto v = value_of("--bench-mass-logout-call");
      if (v != "each" && v != "list") {
        std::fprintf(stderr, "--bench-mass-logout-call: each or list\n");
        usage(argv[0], 2);
      }
      opts.mass_logout_list = v == "list";
    } else if (starts_with(arg, "--bench-mass-logout")) {
      opts.mass_logout = parse_flag(value_of("--bench-mass-logout"), argv[0]);
    } else if (starts_with(arg, "--bench-expiry")) {
      opts.expiry = parse_flag(value_of("--bench-expiry"), argv[0]);
    } else if (starts_with(arg, "--bench-")) {
      std::fprintf(stderr, "unknown option: %s\n", arg.c_str());
      usage(argv[0], 2);
    } else if (starts_with(arg, "-")) {
      opts.caf_args.push_back(arg); // CAF's parser decides
    } else {
      opts.ns.push_back(static_cast<size_t>(parse_int(arg, argv[0])));
    }
  }
  if (opts.ns.empty())
    opts.ns = {10000, 100000, 1000000};
  return opts;
}

void parse_caf_options(const options& opts, presence::config& cfg) {
  std::vector<char*> args;
  for (auto& a : opts.caf_args)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  if (!opts.cluster_peer.empty()) {
    presence::configure_cluster(cfg);
    caf::put(cfg.content, "presence.cluster.name", "c1");
    caf::put(cfg.content, "presence.cluster.node-name", "main");
    caf::put(cfg.content, "presence.cluster.port", 0);
  }
  if (auto err = cfg.parse(static_cast<int>(args.size() - 1), args.data())) {
    std::fprintf(stderr, "invalid options: %s\n",
                 caf::actor_system_config::render(err).c_str());
    std::exit(2);
  }
  if (cfg.cli_helptext_printed)
    std::exit(0);
}

} // namespace bench

#include "bench/cluster_driver.hpp"

#include <cstdlib>
#include <iostream>
#include <unistd.h>

#include "bench/machine.hpp"

using test::node_process;

namespace bench {

namespace {

std::string self_program() {
  char buf[4096];
  auto n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

} // namespace

std::vector<std::string> node_options;

std::unique_ptr<node_process> start_node(const std::string& name,
                                         std::vector<uint16_t> seeds) {
  std::vector<std::string> args{"node", "--presence.cluster.name=bench",
                                "--presence.cluster.node-name=" + name,
                                "--presence.cluster.port=0"};
  if (!seeds.empty())
    args.push_back("--presence.cluster.seeds=[\"127.0.0.1:"
                   + std::to_string(seeds.front()) + "\"]");
  args.insert(args.end(), node_options.begin(), node_options.end());
  auto p = std::make_unique<node_process>(self_program(), args);
  if (p->port() == 0) {
    std::cerr << "node " << name << " did not start:\n" << p->transcript();
    std::exit(1);
  }
  return p;
}

int64_t field(const std::string& line, const std::string& key) {
  auto pos = line.find(key);
  if (pos == std::string::npos)
    return -1;
  return std::stoll(line.substr(pos + key.size()));
}

std::string ask(node_process& p, const std::string& cmd,
                const std::string& part, std::chrono::seconds timeout) {
  p.send(cmd);
  auto line = p.wait_line(part, timeout);
  if (!line) {
    std::cerr << "no answer to '" << cmd << "':\n" << p.transcript();
    std::exit(1);
  }
  return *line;
}

double ms_between(int64_t from, int64_t to) {
  return static_cast<double>(to - from) / 1e6;
}

void row(const std::string& name, const std::string& figure) {
  std::cout << name << ": " << figure << "\n  " << machine_stalls(500)
            << std::endl;
}

void fail(const std::string& what) {
  std::cerr << "cluster_bench: " << what << std::endl;
  std::exit(1);
}

} // namespace bench

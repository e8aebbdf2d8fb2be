#pragma once

#include <string>

namespace bench {

/// Writes one answer line to stdout (whole lines, from any thread).
void say(const std::string& line);

/// Runs one cluster node answering the benchmark's commands on stdin
/// (cluster_bench_node.cpp lists them). Returns the exit status.
int run_node(int argc, char** argv);

} // namespace bench

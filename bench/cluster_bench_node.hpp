#pragma once

namespace bench {

/// Runs one cluster node answering the benchmark's commands on stdin
/// (cluster_bench_node.cpp lists them). Returns the exit status.
int run_node(int argc, char** argv);

} // namespace bench

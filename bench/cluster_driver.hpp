#pragma once

// What the cluster benchmark's rows share: starting node processes (this
// program with `node`), asking them a command and reading a number from the
// answer, and printing a row with the machine's stall check beside it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "processes/node_process.hpp"

namespace bench {

/// Starts node `name` (joining the node at `seeds`' first port, if any);
/// exits the program if it does not start.
/// Options every node started from now on gets on its command line (e.g.
/// `--presence.scheduler-spin=1ms`), after the bench's own.
extern std::vector<std::string> node_options;

std::unique_ptr<test::node_process> start_node(const std::string& name,
                                               std::vector<uint16_t> seeds
                                               = {});

/// The number after `key` in `line` (-1 if `key` is not there).
int64_t field(const std::string& line, const std::string& key);

/// Sends `cmd` and waits (up to `timeout`) for the answer containing `part`;
/// exits the program if none comes.
std::string ask(test::node_process& p, const std::string& cmd,
                const std::string& part,
                std::chrono::seconds timeout = std::chrono::seconds(600));

double ms_between(int64_t from, int64_t to);

/// Prints one row and, under it, the machine's stall check.
void row(const std::string& name, const std::string& figure);

/// Prints `what` and exits non-zero: a count was off.
[[noreturn]] void fail(const std::string& what);

} // namespace bench

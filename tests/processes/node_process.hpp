#pragma once

// A cluster node in a process of its own (examples/cluster_node, or the
// cluster benchmark's node), driven
// through its stdin and read line by line from its stdout and stderr. The
// multi-process tests kill, stop and restart these, which no actor system in
// the test's own process could survive.

#include <chrono>
#include <csignal>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace test {

class node_process {
public:
  using clock = std::chrono::steady_clock;

  /// Starts `program` with `args` (options such as
  /// --presence.cluster.name=x) and waits for its "listening on" line.
  node_process(std::string program, std::vector<std::string> args);

  /// Kills the process if it still runs (SIGKILL) and reaps it.
  ~node_process();

  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  /// Writes one command line to its stdin.
  void send(const std::string& line);

  /// Waits for a new output line (one after the last line an earlier wait
  /// matched) that contains `part`; nullopt once `timeout` passed or the
  /// process closed its output.
  std::optional<std::string>
  wait_line(const std::string& part,
            clock::duration timeout = std::chrono::seconds(30));

  /// Sends `command` again and again (every 200 ms) until an answer line
  /// contains `part`: for state that takes a while to settle.
  bool poll(const std::string& command, const std::string& part,
            clock::duration timeout = std::chrono::seconds(30));

  void signal(int sig);

  /// Waits for the process to exit; its exit status, or -1 if it was killed
  /// by a signal.
  int wait_exit();

  /// Every line read so far, for a failure message.
  std::string transcript() const;

  /// The port from the "listening on host:port" line.
  uint16_t port() const noexcept {
    return port_;
  }

private:
  /// Reads what is available within `timeout`; false at end of output.
  bool read_some(clock::duration timeout);

  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  std::string partial_;
  std::vector<std::string> lines_;
  size_t cursor_ = 0;
  uint16_t port_ = 0;
  bool closed_ = false;
};

} // namespace test

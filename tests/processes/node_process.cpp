#include "processes/node_process.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace test {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

} // namespace

node_process::node_process(std::string program, std::vector<std::string> args) {
  int to_child[2];
  int from_child[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0)
    fail("pipe");
  pid_ = fork();
  if (pid_ < 0)
    fail("fork");
  if (pid_ == 0) {
    dup2(to_child[0], STDIN_FILENO);
    dup2(from_child[1], STDOUT_FILENO);
    dup2(from_child[1], STDERR_FILENO);
    close(to_child[0]);
    close(to_child[1]);
    close(from_child[0]);
    close(from_child[1]);
    std::vector<char*> argv;
    argv.push_back(program.data());
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  in_ = to_child[1];
  out_ = from_child[0];
  // A node that died must not kill the test with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  if (auto line = wait_line("listening on ")) {
    auto colon = line->rfind(':');
    auto space = line->find(' ', colon);
    port_ = static_cast<uint16_t>(
      std::stoi(line->substr(colon + 1, space - colon - 1)));
  }
}

node_process::~node_process() {
  if (in_ >= 0)
    close(in_);
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_ >= 0)
    close(out_);
}

void node_process::send(const std::string& line) {
  auto text = line + "\n";
  auto n = write(in_, text.data(), text.size());
  (void) n;
}

bool node_process::read_some(clock::duration timeout) {
  if (closed_)
    return false;
  pollfd pfd{out_, POLLIN, 0};
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  auto rc = ::poll(&pfd, 1, static_cast<int>(std::max<long>(ms.count(), 0)));
  if (rc <= 0)
    return true;
  char buf[4096];
  auto n = read(out_, buf, sizeof(buf));
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  partial_.append(buf, static_cast<size_t>(n));
  for (size_t pos; (pos = partial_.find('\n')) != std::string::npos;) {
    lines_.push_back(partial_.substr(0, pos));
    partial_.erase(0, pos + 1);
  }
  return true;
}

std::optional<std::string> node_process::wait_line(const std::string& part,
                                                   clock::duration timeout) {
  auto deadline = clock::now() + timeout;
  for (;;) {
    for (auto i = cursor_; i < lines_.size(); ++i)
      if (lines_[i].find(part) != std::string::npos) {
        cursor_ = i + 1;
        return lines_[i];
      }
    auto now = clock::now();
    if (now >= deadline || !read_some(deadline - now))
      return std::nullopt;
  }
}

bool node_process::poll(const std::string& command, const std::string& part,
                        clock::duration timeout) {
  auto deadline = clock::now() + timeout;
  while (clock::now() < deadline) {
    send(command);
    if (wait_line(part, std::chrono::milliseconds(200)))
      return true;
  }
  return false;
}

void node_process::signal(int sig) {
  if (pid_ > 0)
    kill(pid_, sig);
}

int node_process::wait_exit() {
  int status = 0;
  if (pid_ <= 0 || waitpid(pid_, &status, 0) != pid_)
    return -1;
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string node_process::transcript() const {
  std::string result;
  for (auto& line : lines_)
    result += line + "\n";
  return result + partial_;
}

} // namespace test

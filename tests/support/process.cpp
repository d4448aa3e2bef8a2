#include "tests/support/process.hpp"

#include <cctype>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace gw::test {

std::string gateway_binary() {
  const char* p = std::getenv("GW_BINARY");
  return p != nullptr ? p : GW_TEST_BINARY;
}

std::string source_dir() {
  const char* p = std::getenv("GW_SOURCE_DIR");
  return p != nullptr ? p : GW_TEST_SOURCE_DIR;
}

bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

Process::Process(std::vector<std::string> argv, std::vector<std::string> extra_env) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  for (auto& e : extra_env) env_storage.push_back(std::move(e));
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  const int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    throw std::runtime_error(std::string("spawn ") + argv[0] + ": " + std::strerror(rc));
  }
  out_fd_ = fds[0];
  fcntl(out_fd_, F_SETFL, fcntl(out_fd_, F_GETFL) | O_NONBLOCK);
}

Process::~Process() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
}

void Process::drain() {
  char buf[4096];
  for (;;) {
    const ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n > 0) {
      out_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    break;
  }
}

const std::string& Process::output() {
  drain();
  return out_;
}

bool Process::running() {
  if (status_) return false;
  int st = 0;
  const pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  wait_until([this] {
    drain();
    return !running();
  }, timeout);
  drain();
  return status_;
}

void Process::signal(int sig) const {
  if (!status_) ::kill(pid_, sig);
}

RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  Process p(std::move(argv));
  auto code = p.wait(timeout);
  RunResult r;
  r.code = code.value_or(-1);
  r.output = p.output();
  return r;
}

std::uint16_t port_after(const std::string& output, std::string_view prefix, std::size_t nth) {
  std::size_t at = output.find(prefix);
  for (std::size_t i = 0; i < nth && at != std::string::npos; ++i) at = output.find(prefix, at + 1);
  if (at == std::string::npos) return 0;
  std::size_t i = at + prefix.size();
  std::uint32_t port = 0;
  while (i < output.size() && std::isdigit(static_cast<unsigned char>(output[i])) != 0) {
    port = port * 10 + static_cast<std::uint32_t>(output[i++] - '0');
  }
  // Digits up to the end of the output may be a line still being written.
  if (i == output.size() || port == 0 || port > 65535) return 0;
  return static_cast<std::uint16_t>(port);
}

long proc_status_kb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return 0;
}

}  // namespace gw::test

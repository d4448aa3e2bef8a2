// Test support: run the real edge-gateway binary (or any program) as a child process, read what
// it prints, and wait on conditions with a deadline instead of sleeping.
//
// Thread safety: one Process per test thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gw::test {

// Path of the edge-gateway binary under test: $GW_BINARY, else the one this build made.
std::string gateway_binary();
// Root of the source tree: $GW_SOURCE_DIR, else the tree this build came from.
std::string source_dir();

// Polls `cond` until it returns true or `timeout` passes; returns the last value of `cond`.
// Polling interval is short and fixed: this waits on a condition, it does not guess a delay.
bool wait_until(const std::function<bool()>& cond,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The port number after the `nth` (0-based) occurrence of `prefix` in a process's output, as in
// "listening on 127.0.0.1:PORT"; 0 while that line is not complete yet.
std::uint16_t port_after(const std::string& output, std::string_view prefix, std::size_t nth = 0);

// A kB figure ("VmHWM:  12345 kB") from /proc/<pid>/status, or 0.
long proc_status_kb(pid_t pid, const std::string& field);

class Process {
 public:
  // Starts argv[0] with argv; stdout and stderr are captured (merged) and readable via output().
  explicit Process(std::vector<std::string> argv, std::vector<std::string> extra_env = {});
  ~Process();  // kills the child (SIGKILL) if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  // Everything the child printed so far.
  [[nodiscard]] const std::string& output();
  // Waits up to `timeout` for the child to exit; its exit code, or 128+signal, or nullopt.
  std::optional<int> wait(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void signal(int sig) const;
  [[nodiscard]] bool running();

 private:
  void drain();
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string out_;
  std::optional<int> status_;
};

// Runs a program to completion (bounded by `timeout`) and returns {exit code, merged output}.
struct RunResult {
  int code = -1;
  std::string output;
};
RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace gw::test

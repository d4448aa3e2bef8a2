// `edge-gateway passwd` at a real terminal: the binary runs on the slave side of a pseudo-terminal
// as its controlling terminal, and the test types at the master side like a user would.
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;

class PasswdAtATerminal : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::openpty(&master_, &slave_, nullptr, nullptr, nullptr), 0);
    const std::string binary = gateway_binary();
    const std::string file = (dir_.path() / "passwd").string();
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      // A new session whose controlling terminal is the slave, so /dev/tty is the slave and
      // Ctrl-C typed at the master becomes SIGINT for this process.
      ::setsid();
      ::ioctl(slave_, TIOCSCTTY, 0);
      ::dup2(slave_, STDIN_FILENO);
      ::dup2(slave_, STDOUT_FILENO);
      ::dup2(slave_, STDERR_FILENO);
      ::close(master_);
      ::execl(binary.c_str(), binary.c_str(), "passwd", file.c_str(), "alice",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }

  void TearDown() override {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
    if (slave_ >= 0) ::close(slave_);
  }

  // Everything the binary printed so far, read without blocking.
  const std::string& screen() {
    pollfd p{master_, POLLIN, 0};
    char buf[256];
    while (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0) {
      const ssize_t n = ::read(master_, buf, sizeof buf);
      if (n <= 0) break;
      screen_.append(buf, static_cast<std::size_t>(n));
    }
    return screen_;
  }

  bool echo_on() const {
    termios t{};
    return ::tcgetattr(slave_, &t) == 0 && (t.c_lflag & ECHO) != 0;
  }

  // The child's wait status once it has exited within the deadline.
  std::optional<int> exit_status(std::chrono::milliseconds timeout) {
    int status = 0;
    if (!wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout)) {
      return std::nullopt;
    }
    reaped_ = true;
    return status;
  }

  TempDir dir_;
  int master_ = -1;
  int slave_ = -1;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string screen_;
};

TEST_F(PasswdAtATerminal, CtrlCAtThePromptGivesTheEchoBack) {
  ASSERT_TRUE(echo_on());
  ASSERT_TRUE(wait_until([&] { return screen().find("Password: ") != std::string::npos; }))
      << screen();
  // The prompt is printed before echo goes off: wait for the terminal state itself.
  ASSERT_TRUE(wait_until([&] { return !echo_on(); })) << "the password prompt left echo on";

  ASSERT_EQ(::write(master_, "\x03", 1), 1);  // Ctrl-C

  const auto status = exit_status(10s);
  ASSERT_TRUE(status.has_value()) << "passwd did not end on Ctrl-C";
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGINT) << "status " << *status;
  EXPECT_TRUE(echo_on()) << "Ctrl-C at the prompt left the terminal without echo";
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "passwd"));
}

TEST_F(PasswdAtATerminal, TypedPasswordsAreNotEchoedAndTheUserIsWritten) {
  ASSERT_TRUE(wait_until([&] { return screen().find("Password: ") != std::string::npos; }));
  ASSERT_TRUE(wait_until([&] { return !echo_on(); }));
  ASSERT_EQ(::write(master_, "Secret-1\n", 9), 9);
  ASSERT_TRUE(wait_until([&] { return screen().find("again: ") != std::string::npos; }))
      << screen();
  ASSERT_TRUE(wait_until([&] { return !echo_on(); }));
  ASSERT_EQ(::write(master_, "Secret-1\n", 9), 9);

  const auto status = exit_status(30s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << screen();
  EXPECT_EQ(screen().find("Secret-1"), std::string::npos) << "the password was echoed";
  EXPECT_TRUE(echo_on());
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "passwd"));
}

}  // namespace
}  // namespace gw::test

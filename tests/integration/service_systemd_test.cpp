// The gateway as a systemd service: the unit file passes systemd's own checks, and the binary
// speaks the sd_notify protocol (READY=1 after start-up, WATCHDOG=1 from the core loop,
// STOPPING=1 on SIGTERM) to a datagram socket standing in for systemd.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The unit as shipped, with the binary under test in place of /usr/bin/edge-gateway (which
// systemd-analyze checks for) and the config path pointing into `dir`.
std::string installable_unit(const TempDir& dir) {
  std::string unit = read_file(source_dir() + "/systemd/edge-gateway.service");
  for (std::size_t at; (at = unit.find("/usr/bin/edge-gateway")) != std::string::npos;) {
    unit.replace(at, 21, gateway_binary());
  }
  return dir.write("edge-gateway.service", unit);
}

TEST(ServiceUnit, PassesSystemdAnalyzeVerify) {
  TempDir dir;
  auto r = run({"systemd-analyze", "verify", installable_unit(dir)});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "") << "systemd-analyze verify printed warnings";
}

TEST(ServiceUnit, IsHardenedToAnExposureOfAtMostThree) {
  TempDir dir;
  auto r = run({"systemd-analyze", "security", "--offline=true", "--threshold=30",  // systemd prints exposure / 10
                installable_unit(dir)});
  EXPECT_EQ(r.code, 0) << r.output;
  const std::string unit = read_file(source_dir() + "/systemd/edge-gateway.service");
  for (const char* line : {"Type=notify", "WatchdogSec=", "Restart=on-failure", "ExecReload=",
                           "StateDirectory=edge-gateway", "ConfigurationDirectory=edge-gateway",
                           "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes",
                           "PrivateTmp=yes", "CapabilityBoundingSet=\n", "SupplementaryGroups=dialout",
                           "LimitNOFILE="}) {
    EXPECT_THAT(unit, HasSubstr(line));
  }
}

// A datagram socket at a path, like systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof addr.sun_path - 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~NotifySocket() { ::close(fd_); }
  [[nodiscard]] bool bound() const { return bound_; }
  [[nodiscard]] const std::string& path() const { return path_; }

  // Every datagram received until one contains `want`, or the deadline passes.
  bool wait_for(const std::string& want, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      messages.emplace_back(buf, static_cast<std::size_t>(n));
      if (messages.back().find(want) != std::string::npos) return true;
    }
  }

  std::vector<std::string> messages;

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(ServiceNotify, SendsReadyThenWatchdogFromTheLoopThenStopping) {
  TempDir dir;
  NotifySocket sock(dir.path().string() + "/notify");
  ASSERT_TRUE(sock.bound());
  const auto config = dir.write("gw.yaml", "gateway: {id: svc, data_dir: " + dir.path().string() +
                                               "}\nbroker:\n  listeners: [{bind: 127.0.0.1:0}]\n");
  Process gw({gateway_binary(), "run", "--config", config},
             {"NOTIFY_SOCKET=" + sock.path(), "WATCHDOG_USEC=200000"});
  ASSERT_TRUE(sock.wait_for("READY=1")) << gw.output();
  EXPECT_THAT(sock.messages.back(), HasSubstr("STATUS=0 MQTT client(s)"));
  // READY only after the listener is bound: the log line came first.
  EXPECT_THAT(gw.output(), HasSubstr("listening on 127.0.0.1:"));
  // Half the watchdog interval: two pings within a few hundred ms on an idle machine.
  ASSERT_TRUE(sock.wait_for("WATCHDOG=1")) << gw.output();
  ASSERT_TRUE(sock.wait_for("WATCHDOG=1")) << gw.output();
  gw.signal(SIGTERM);
  ASSERT_TRUE(sock.wait_for("STOPPING=1")) << gw.output();
  EXPECT_EQ(gw.wait(5s), 0) << gw.output();
}

TEST(ServiceNotify, SendsNoWatchdogWhenSystemdAskedForNone) {
  TempDir dir;
  NotifySocket sock(dir.path().string() + "/notify");
  ASSERT_TRUE(sock.bound());
  const auto config = dir.write("gw.yaml", "gateway: {id: svc, data_dir: " + dir.path().string() +
                                               "}\nbroker:\n  listeners: [{bind: 127.0.0.1:0}]\n");
  Process gw({gateway_binary(), "run", "--config", config}, {"NOTIFY_SOCKET=" + sock.path()});
  ASSERT_TRUE(sock.wait_for("READY=1")) << gw.output();
  gw.signal(SIGTERM);
  ASSERT_TRUE(sock.wait_for("STOPPING=1")) << gw.output();
  for (const auto& m : sock.messages) EXPECT_THAT(m, ::testing::Not(HasSubstr("WATCHDOG=1")));
  EXPECT_EQ(gw.wait(5s), 0);
}

}  // namespace
}  // namespace gw::test

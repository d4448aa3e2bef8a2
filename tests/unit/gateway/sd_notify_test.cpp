#include "gateway/sd_notify.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace gw::gateway {
namespace {

using namespace std::chrono_literals;

// Sets an environment variable for one test (or unsets it with nullptr), and restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A datagram socket like systemd's notify socket, at a path or (leading '@') an abstract name.
class Listener {
 public:
  explicit Listener(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    name.copy(addr.sun_path, sizeof addr.sun_path - 1);
    socklen_t len = sizeof addr;
    if (name.front() == '@') {
      addr.sun_path[0] = '\0';
      len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    }
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
  }
  ~Listener() { ::close(fd_); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  [[nodiscard]] bool bound() const { return bound_; }

  // The next datagram, or nullopt after 5 s.
  std::optional<std::string> receive() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

TEST(SdNotify, SendsTheStateAsOneDatagramToAPathSocket) {
  test::TempDir dir;
  const std::string path = dir.path().string() + "/notify";
  Listener systemd(path);
  ASSERT_TRUE(systemd.bound());
  ScopedEnv env("NOTIFY_SOCKET", path.c_str());
  EXPECT_FALSE(sd_notify("READY=1\nSTATUS=2 MQTT client(s)"));
  EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=2 MQTT client(s)");
  EXPECT_FALSE(sd_notify("WATCHDOG=1"));
  EXPECT_EQ(systemd.receive(), "WATCHDOG=1");
}

TEST(SdNotify, ReachesAnAbstractSocketWrittenWithAt) {
  const std::string name = "@edge-gateway-sd-notify-test-" + std::to_string(::getpid());
  Listener systemd(name);
  ASSERT_TRUE(systemd.bound());
  ScopedEnv env("NOTIFY_SOCKET", name.c_str());
  EXPECT_FALSE(sd_notify("STOPPING=1"));
  EXPECT_EQ(systemd.receive(), "STOPPING=1");
}

TEST(SdNotify, DoesNothingWhenNotStartedBySystemd) {
  ScopedEnv env("NOTIFY_SOCKET", nullptr);
  EXPECT_FALSE(sd_notify("READY=1"));
  ScopedEnv empty("NOTIFY_SOCKET", "");
  EXPECT_FALSE(sd_notify("READY=1"));
}

TEST(SdNotify, RejectsAnAddressThatIsNeitherAPathNorAnAbstractName) {
  {
    ScopedEnv env("NOTIFY_SOCKET", "relative/notify");
    EXPECT_EQ(sd_notify("READY=1"), std::errc::invalid_argument);
  }
  {
    const std::string too_long = "/" + std::string(sizeof(sockaddr_un::sun_path), 'x');
    ScopedEnv env("NOTIFY_SOCKET", too_long.c_str());
    EXPECT_EQ(sd_notify("READY=1"), std::errc::invalid_argument);
  }
}

TEST(SdNotify, ReportsTheErrorWhenNobodyListens) {
  test::TempDir dir;
  const std::string path = dir.path().string() + "/nobody";
  ScopedEnv env("NOTIFY_SOCKET", path.c_str());
  EXPECT_EQ(sd_notify("READY=1"), std::errc::no_such_file_or_directory);
}

TEST(SdWatchdogInterval, IsWatchdogUsecForThisProcess) {
  ScopedEnv usec("WATCHDOG_USEC", "20000000");
  {
    ScopedEnv pid("WATCHDOG_PID", nullptr);
    EXPECT_EQ(sd_watchdog_interval(), 20s);
  }
  const std::string me = std::to_string(::getpid());
  ScopedEnv pid("WATCHDOG_PID", me.c_str());
  EXPECT_EQ(sd_watchdog_interval(), 20s);
  // 2^64 - 1 fits the parser but not a signed count: clamped, never negative.
  ScopedEnv huge("WATCHDOG_USEC", "18446744073709551615");
  EXPECT_GT(sd_watchdog_interval().count(), 0);
}

TEST(SdWatchdogInterval, IsZeroForAnotherProcessOrWithoutANumber) {
  ScopedEnv none("WATCHDOG_PID", nullptr);
  {
    ScopedEnv usec("WATCHDOG_USEC", nullptr);
    EXPECT_EQ(sd_watchdog_interval().count(), 0);
  }
  for (const char* bad : {"", "0", "-5", "20s", "12abc", "99999999999999999999999"}) {
    ScopedEnv usec("WATCHDOG_USEC", bad);
    EXPECT_EQ(sd_watchdog_interval().count(), 0) << bad;
  }
  ScopedEnv usec("WATCHDOG_USEC", "1000000");
  const std::string other = std::to_string(::getpid() + 1);
  ScopedEnv pid("WATCHDOG_PID", other.c_str());
  EXPECT_EQ(sd_watchdog_interval().count(), 0);
  ScopedEnv garbage("WATCHDOG_PID", "self");
  EXPECT_EQ(sd_watchdog_interval().count(), 0);
}

}  // namespace
}  // namespace gw::gateway

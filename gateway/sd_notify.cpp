#include "gateway/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <cstddef>
#include <string>

#include "core/unique_fd.hpp"

namespace gw::gateway {

namespace {

// A whole, positive decimal number, or 0.
std::uint64_t positive_number(const char* text) {
  if (text == nullptr) return 0;
  const std::string_view s(text);
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return 0;
  return v;
}

}  // namespace

std::error_code sd_notify(std::string_view state) {
  const char* env = std::getenv("NOTIFY_SOCKET");
  if (env == nullptr || *env == '\0') return {};
  const std::string_view path(env);
  if (path.front() != '/' && path.front() != '@') {
    return std::make_error_code(std::errc::invalid_argument);
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() > sizeof addr.sun_path - (path.front() == '/' ? 1 : 0)) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  path.copy(addr.sun_path, path.size());
  // An abstract socket's name starts with a NUL byte instead of the '@', and its length is exact.
  if (path.front() == '@') addr.sun_path[0] = '\0';
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() +
                                          (path.front() == '/' ? 1 : 0));

  const UniqueFd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return {errno, std::generic_category()};
  ssize_t n = 0;
  do {
    n = ::sendto(sock.get(), state.data(), state.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&addr), len);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return {errno, std::generic_category()};
  return {};
}

std::chrono::microseconds sd_watchdog_interval() {
  const std::uint64_t usec = positive_number(std::getenv("WATCHDOG_USEC"));
  if (usec == 0) return std::chrono::microseconds{0};
  if (const char* pid = std::getenv("WATCHDOG_PID"); pid != nullptr) {
    if (positive_number(pid) != static_cast<std::uint64_t>(::getpid())) {
      return std::chrono::microseconds{0};
    }
  }
  // systemd's own limit is far below this; a larger value would turn negative as a `rep`.
  constexpr std::uint64_t kMax = std::numeric_limits<std::chrono::microseconds::rep>::max();
  return std::chrono::microseconds{static_cast<std::chrono::microseconds::rep>(std::min(usec, kMax))};
}

}  // namespace gw::gateway

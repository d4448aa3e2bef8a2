#include "tests/support/pty_pair.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pty.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace gw::test {
namespace {

// Short enough that stop() returns promptly; the relays are woken by data, not by this.
constexpr int kPollMs = 20;

[[noreturn]] void fail_errno(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) fail_errno("fcntl");
}

// Copies what is readable on `from` to `to`. A serial line drops what the other side cannot take,
// and so does this (the writes are non-blocking): the tests move a few bytes at a time.
// False when `from` is closed or failed.
bool copy(int from, int to) {
  std::uint8_t buf[512];
  const ssize_t n = ::read(from, buf, sizeof buf);
  if (n == 0) return false;
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  std::size_t done = 0;
  while (done < static_cast<std::size_t>(n)) {
    const ssize_t w = ::write(to, buf + done, static_cast<std::size_t>(n) - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += static_cast<std::size_t>(w);
  }
  return true;
}

void write_all(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    done += static_cast<std::size_t>(w);
  }
}

}  // namespace

Pty open_raw_pty() {
  termios raw{};
  ::cfmakeraw(&raw);
  ::cfsetispeed(&raw, B115200);
  ::cfsetospeed(&raw, B115200);
  int master = -1;
  int slave = -1;
  char name[256] = {};
  if (::openpty(&master, &slave, name, &raw, nullptr) != 0) fail_errno("openpty");
  Pty p{UniqueFd(master), UniqueFd(slave), name};
  set_nonblocking(master);
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  ::fcntl(slave, F_SETFD, FD_CLOEXEC);
  return p;
}

// ---- PtyPair ---------------------------------------------------------------------------------

PtyPair::PtyPair() : a_(open_raw_pty()), b_(open_raw_pty()) {
  thread_ = std::thread([this] { relay(); });
}

PtyPair::~PtyPair() {
  stop_ = true;
  thread_.join();
}

void PtyPair::relay() {
  while (!stop_) {
    pollfd fds[2] = {{a_.master.get(), POLLIN, 0}, {b_.master.get(), POLLIN, 0}};
    if (::poll(fds, 2, kPollMs) <= 0) continue;
    if (fds[0].revents & POLLIN) copy(a_.master.get(), b_.master.get());
    if (fds[1].revents & POLLIN) copy(b_.master.get(), a_.master.get());
  }
}

// ---- SerialDeviceServer ----------------------------------------------------------------------

SerialDeviceServer::SerialDeviceServer() : pty_(open_raw_pty()) {
  listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener_) fail_errno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    fail_errno("bind");
  }
  if (::listen(listener_.get(), 4) != 0) fail_errno("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    fail_errno("getsockname");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { relay(); });
}

SerialDeviceServer::~SerialDeviceServer() {
  stop_ = true;
  thread_.join();
}

void SerialDeviceServer::answer_next_with(std::vector<std::vector<std::uint8_t>> replies) {
  std::lock_guard lock(mutex_);
  for (auto& r : replies) canned_.push_back(std::move(r));
}

std::size_t SerialDeviceServer::canned_left() const {
  std::lock_guard lock(mutex_);
  return canned_.size();
}

void SerialDeviceServer::relay() {
  UniqueFd conn;
  while (!stop_) {
    pollfd fds[3] = {{listener_.get(), POLLIN, 0},
                     {pty_.master.get(), POLLIN, 0},
                     {conn.get(), POLLIN, 0}};
    if (::poll(fds, conn ? 3 : 2, kPollMs) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      // One connection at a time; a new one replaces the old, as a device server does when its
      // client reconnects.
      UniqueFd accepted(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
      if (accepted) {
        const int one = 1;
        ::setsockopt(accepted.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn = std::move(accepted);
        continue;
      }
    }
    if (fds[1].revents & POLLIN) {
      if (conn) {
        copy(pty_.master.get(), conn.get());
      } else {
        std::uint8_t sink[512];
        (void)!::read(pty_.master.get(), sink, sizeof sink);
      }
    }
    if (conn && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      std::vector<std::uint8_t> canned;
      {
        std::lock_guard lock(mutex_);
        if (!canned_.empty()) {
          canned = std::move(canned_.front());
          canned_.pop_front();
        }
      }
      if (!canned.empty()) {
        std::uint8_t request[512];
        const ssize_t n = ::recv(conn.get(), request, sizeof request, 0);
        if (n <= 0) {
          conn.reset();
          std::lock_guard lock(mutex_);
          canned_.push_front(std::move(canned));
          continue;
        }
        write_all(conn.get(), canned);
        continue;
      }
      if (!copy(conn.get(), pty_.master.get())) conn.reset();
    }
  }
}

}  // namespace gw::test

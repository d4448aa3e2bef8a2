#include "tests/bench/load/load_client.hpp"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gw::bench {

namespace {
constexpr std::size_t kReadBuffer = 256 * 1024;

Failure errno_failure(int e) { return Failure{std::error_code(e, std::generic_category())}; }
}  // namespace

LoadClient::LoadClient(Role role, std::uint32_t index, broker::protocol::ProtocolVersion version)
    : role_(role),
      index_(index),
      version_(version),
      decode_options_{.version = version, .maximum_packet_size = broker::protocol::kMaxPacketSize} {}

LoadClient::~LoadClient() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> LoadClient::start_connect(const sockaddr_in& addr) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return errno_failure(errno);
  const int one = 1;
  // Like the brokers under test: every packet leaves at once, batching is ours.
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
      errno != EINPROGRESS) {
    return errno_failure(errno);
  }
  // Only the subscribers' and publishers' buffers see traffic; idle connections never read.
  in_.resize(role_ == Role::Idle ? 4096 : kReadBuffer);
  state = State::Connecting;
  return {};
}

Result<void> LoadClient::finish_connect() {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno_failure(errno);
  if (err != 0) return errno_failure(err);
  return {};
}

Result<void> LoadClient::flush() {
  while (out_sent_ < out_.size() && writable) {
    const auto n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        writable = false;
        break;
      }
      return errno_failure(errno);
    }
    out_sent_ += static_cast<std::size_t>(n);
  }
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
  } else if (out_sent_ > out_.size() / 2) {
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_sent_));
    out_sent_ = 0;
  }
  return {};
}

Result<void> LoadClient::recv_some(bool& got_eagain) {
  if (in_start_ > 0 && in_start_ == in_end_) in_start_ = in_end_ = 0;
  if (in_end_ == in_.size()) {
    // Move the partial packet to the front to make room.
    std::memmove(in_.data(), in_.data() + in_start_, in_end_ - in_start_);
    in_end_ -= in_start_;
    in_start_ = 0;
  }
  for (;;) {
    const auto n = ::recv(fd_, in_.data() + in_end_, in_.size() - in_end_, 0);
    if (n > 0) {
      in_end_ += static_cast<std::size_t>(n);
      return {};
    }
    if (n == 0) return fail(std::errc::connection_reset);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      got_eagain = true;
      return {};
    }
    return errno_failure(errno);
  }
}

}  // namespace gw::bench

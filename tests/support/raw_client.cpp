#include "tests/support/raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "broker/protocol/codec.hpp"

namespace gw::test {

std::string hex(std::span<const std::uint8_t> bytes) {
  std::string s;
  char buf[4];
  for (const auto b : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    if (!s.empty()) s += ' ';
    s += buf;
  }
  return s;
}

Bytes encode_packet(const broker::protocol::Packet& packet, broker::protocol::ProtocolVersion version) {
  std::vector<std::byte> out;
  broker::protocol::encode(packet, version, out);
  Bytes b(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) b[i] = static_cast<std::uint8_t>(out[i]);
  return b;
}

RawClient::RawClient(std::uint16_t port) : RawClient(port, 1) {}

RawClient::RawClient(std::uint16_t port, std::uint8_t source_host) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  if (source_host != 1) {
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl((127U << 24) | source_host);  // 127.0.0.<source_host>
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) != 0) {
      ::close(fd);
      return;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // never anything but 127.0.0.1
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fd_ = fd;
}

RawClient::~RawClient() { close(); }

bool RawClient::send(std::span<const std::uint8_t> bytes) {
  if (fd_ < 0) return false;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool RawClient::send(const broker::protocol::Packet& packet, broker::protocol::ProtocolVersion version) {
  return send(encode_packet(packet, version));
}

long RawClient::read_some(std::uint8_t* out, std::size_t max,
                          std::chrono::steady_clock::time_point deadline) {
  if (fd_ < 0 || peer_closed_) return 0;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) return -1;
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      if (std::chrono::steady_clock::now() >= deadline) return -1;
      continue;
    }
    const ssize_t n = ::recv(fd_, out, max, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // EOF, or ECONNRESET: the peer closed either way
      peer_closed_ = true;
      return 0;
    }
    return n;
  }
}

Bytes RawClient::read_exactly(std::size_t n, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Bytes got(n);
  std::size_t have = 0;
  while (have < n) {
    const long r = read_some(got.data() + have, n - have, deadline);
    if (r <= 0) break;
    have += static_cast<std::size_t>(r);
  }
  got.resize(have);
  return got;
}

std::optional<Bytes> RawClient::read_packet(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()),
                    std::chrono::milliseconds(0));
  };
  Bytes packet = read_exactly(1, left());
  if (packet.size() != 1) return std::nullopt;
  // MQTT 5 §1.5.5 Variable Byte Integer: at most 4 bytes, 7 bits each, high bit = more follow.
  std::uint32_t remaining = 0;
  for (int i = 0;; ++i) {
    if (i == 4) return std::nullopt;
    const Bytes b = read_exactly(1, left());
    if (b.size() != 1) return std::nullopt;
    packet.push_back(b[0]);
    remaining |= std::uint32_t{b[0] & 0x7Fu} << (7 * i);
    if ((b[0] & 0x80) == 0) break;
  }
  const Bytes body = read_exactly(remaining, left());
  if (body.size() != remaining) return std::nullopt;
  packet.insert(packet.end(), body.begin(), body.end());
  return packet;
}

bool RawClient::expect_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::uint8_t buf[4096];
  for (;;) {
    const long r = read_some(buf, sizeof buf, deadline);
    if (r == 0) return unexpected_.empty();
    if (r < 0) return false;
    unexpected_.insert(unexpected_.end(), buf, buf + r);
  }
}

void RawClient::close() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
}

void RawClient::abort() {
  if (fd_ < 0) return;
  const linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close();
}

}  // namespace gw::test

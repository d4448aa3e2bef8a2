#include "broker/net/tcp_listener.hpp"

#include <cerrno>

#include <poll.h>
#include <sys/socket.h>

#include <asio/ip/address.hpp>
#include <asio/ip/v6_only.hpp>

namespace gw::broker::net {

Result<std::unique_ptr<TcpListener>> TcpListener::open(asio::io_context& io,
                                                       const ListenerOptions& options,
                                                       OnAccept on_accept, Mode mode) {
  std::error_code ec;
  const auto address = asio::ip::make_address(options.address, ec);
  if (ec) return fail(std::errc::invalid_argument);
  const asio::ip::tcp::endpoint endpoint(address, options.port);
  asio::ip::tcp::acceptor acceptor(io);
  if (acceptor.open(endpoint.protocol(), ec); ec) return fail(ec);
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) return fail(ec);
  if (address.is_v6()) {
    // "::" means IPv6 only; bind "0.0.0.0" too for IPv4. Predictable beats dual-stack magic.
    if (acceptor.set_option(asio::ip::v6_only(true), ec); ec) return fail(ec);
  }
  if (acceptor.bind(endpoint, ec); ec) return fail(ec);
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) return fail(ec);
  // accept4() then returns EAGAIN when the queue is empty instead of blocking the core thread.
  if (acceptor.non_blocking(true, ec); ec) return fail(ec);
  auto listener = std::make_unique<TcpListener>(io, std::move(acceptor), std::move(on_accept), mode);
  listener->accept();
  return listener;
}

TcpListener::TcpListener(asio::io_context& io, asio::ip::tcp::acceptor acceptor, OnAccept on_accept,
                         Mode mode)
    : io_(io), acceptor_(std::move(acceptor)), retry_(acceptor_.get_executor()),
      on_accept_(std::move(on_accept)), mode_(mode) {
  std::error_code ec;
  const auto ep = acceptor_.local_endpoint(ec);
  port_ = ep.port();
  protocol_ = ep.protocol();
  const auto addr = ep.address();
  name_ = (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" +
          std::to_string(port_);
}

void TcpListener::accept() {
  acceptor_.async_wait(asio::ip::tcp::acceptor::wait_read, [this, alive = alive_](std::error_code ec) {
    if (!*alive) return;
    if (ec == asio::error::operation_aborted) return;
    if (!ec) ec = accept_queued();
    if (!*alive) return;
    if (failing_ != static_cast<bool>(ec)) {
      failing_ = static_cast<bool>(ec);
      if (on_trouble_) on_trouble_(ec);
      if (!*alive) return;
    }
    if (!ec) {
      accept();
      return;
    }
    // Other accept errors (EMFILE, ENFILE, ENOBUFS) are transient but would repeat at once:
    // pause briefly instead of spinning on them.
    retry_.expires_after(kRetry);
    retry_.async_wait([this, alive](std::error_code wait_ec) {
      if (*alive && !wait_ec) accept();
    });
  });
}

std::error_code TcpListener::accept_queued() {
  // A copy: a callback may stop() the listener (it must not destroy it: it runs in on_accept_).
  const auto alive = alive_;
  for (int i = 0; i < kMaxAcceptsPerWake && *alive; ++i) {
    auto outcome = accept_one();
    if (!outcome) return outcome.error();
    if (*outcome == Outcome::Empty) return {};
  }
  return {};
}

namespace {

// accept(2): errors of the connection itself, already pending on it, which the listening socket
// does not share; the next connection in the queue may be fine.
bool connection_failed(int e) {
  switch (e) {
    case ECONNABORTED: case EINTR: case EPROTO: case ENETDOWN: case ENOPROTOOPT: case EHOSTDOWN:
    case ENONET: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<TcpListener::Outcome> TcpListener::accept_one() {
  asio::ip::tcp::endpoint peer;
  socklen_t len = static_cast<socklen_t>(peer.capacity());
  UniqueFd fd(::accept4(acceptor_.native_handle(), peer.data(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (fd.get() < 0) {
    const int e = errno;
    if (e == EAGAIN || e == EWOULDBLOCK) return Outcome::Empty;
    if (connection_failed(e)) return Outcome::Skipped;
    // Out of descriptors (or memory). accept4() reserves a descriptor before it looks at the
    // queue, so it fails this way even when nobody is waiting: trouble only if somebody is.
    pollfd waiting{.fd = acceptor_.native_handle(), .events = POLLIN, .revents = 0};
    if (::poll(&waiting, 1, 0) <= 0 || (waiting.revents & POLLIN) == 0) return Outcome::Empty;
    return fail(std::error_code(e, std::system_category()));
  }
  const bool known = len > 0 && len <= peer.capacity();
  if (known) peer.resize(len);
  Accepted accepted{.socket = Socket(io_), .peer = peer, .peer_known = known, .fd = {}};
  if (mode_ == Mode::Raw) {
    accepted.fd = std::move(fd);
  } else {
    std::error_code ec;
    accepted.socket.assign(protocol_, fd.get(), ec);  // onto asio's reactor
    if (ec) return fail(ec);  // `fd` closes it
    (void)fd.release();
  }
  // GCC 12 at -O3 warns that the closed Socket of a raw accept is moved with its reactor data
  // unset: asio sets that only when a socket opens, and a move copies it, but a closed socket
  // never uses it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  on_accept_(std::move(accepted));
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  return Outcome::Taken;
}

void TcpListener::stop() {
  *alive_ = false;
  std::error_code ignored;
  acceptor_.close(ignored);
  retry_.cancel();
}

}  // namespace gw::broker::net

#include "broker/net/tcp_listener.hpp"

#include <asio/ip/address.hpp>
#include <asio/ip/v6_only.hpp>

namespace gw::broker::net {

Result<std::unique_ptr<TcpListener>> TcpListener::open(asio::io_context& io,
                                                       const ListenerOptions& options,
                                                       OnAccept on_accept) {
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
  // accept() then returns would_block when the queue is empty instead of blocking the core thread.
  if (acceptor.non_blocking(true, ec); ec) return fail(ec);
  auto listener = std::make_unique<TcpListener>(io, std::move(acceptor), std::move(on_accept));
  listener->accept();
  return listener;
}

TcpListener::TcpListener(asio::io_context& io, asio::ip::tcp::acceptor acceptor, OnAccept on_accept)
    : io_(io), acceptor_(std::move(acceptor)), retry_(acceptor_.get_executor()),
      on_accept_(std::move(on_accept)) {
  std::error_code ec;
  const auto ep = acceptor_.local_endpoint(ec);
  port_ = ep.port();
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
    if (!ec) {
      accept();
      return;
    }
    // Other accept errors (EMFILE, ENFILE, ENOBUFS) are transient but would repeat at once:
    // pause briefly instead of spinning on them.
    retry_.expires_after(std::chrono::milliseconds(100));
    retry_.async_wait([this, alive](std::error_code wait_ec) {
      if (*alive && !wait_ec) accept();
    });
  });
}

std::error_code TcpListener::accept_queued() {
  for (int i = 0; i < kMaxAcceptsPerWake && *alive_; ++i) {
    std::error_code ec;
    asio::ip::tcp::endpoint peer;
    Socket socket = acceptor_.accept(io_, peer, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return {};
    // The client gave up while it waited in the queue: nothing to do, take the next one.
    if (ec == asio::error::connection_aborted) continue;
    if (ec) return ec;
    on_accept_(Accepted{.socket = std::move(socket), .peer = peer});
  }
  return {};
}

void TcpListener::stop() {
  *alive_ = false;
  std::error_code ignored;
  acceptor_.close(ignored);
  retry_.cancel();
}

}  // namespace gw::broker::net

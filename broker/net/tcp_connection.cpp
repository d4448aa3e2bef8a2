#include "broker/net/tcp_connection.hpp"

namespace gw::broker::net {

TcpConnection::TcpConnection(Accepted accepted, std::shared_ptr<SharedReadBuffer> read_buffer)
    : StreamConnection(std::move(accepted)), read_buffer_(std::move(read_buffer)) {
  std::error_code ec;
  stream_.non_blocking(true, ec);  // reads happen after readiness; never block the core thread
}

TcpConnection::~TcpConnection() = default;

void TcpConnection::read() {
  stream_.async_wait(Socket::wait_read, [self = self()](std::error_code ec) {
    auto& me = static_cast<TcpConnection&>(*self);
    if (me.finished_ || ec) {
      me.on_read(ec, {});
      return;
    }
    auto& buffer = me.read_buffer_->bytes;
    std::error_code read_ec;
    const std::size_t n = me.stream_.read_some(asio::buffer(buffer), read_ec);
    if (read_ec == asio::error::would_block || read_ec == asio::error::try_again) {
      me.on_read({}, {});  // spurious wake-up: nothing to hand over, wait again
      return;
    }
    me.on_read(read_ec, std::span<const std::byte>(buffer.data(), read_ec ? 0 : n));
  });
}

void TcpConnection::shutdown_send() {
  std::error_code ignored;
  stream_.shutdown(Socket::shutdown_send, ignored);
}

}  // namespace gw::broker::net

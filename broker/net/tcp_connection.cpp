#include "broker/net/tcp_connection.hpp"

#include <asio/post.hpp>
#include <asio/write.hpp>

#include "broker/net/peer_info.hpp"

namespace gw::broker::net {

TcpConnection::TcpConnection(asio::ip::tcp::socket socket,
                             std::shared_ptr<SharedReadBuffer> read_buffer)
    : socket_(std::move(socket)), read_buffer_(std::move(read_buffer)) {
  PeerInfo info = describe_peer(socket_);
  peer_ = std::move(info.peer);
  peer_address_ = std::move(info.address);
  peer_loopback_ = info.loopback;
  std::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);  // best effort; latency, not correctness
  socket_.non_blocking(true, ec);  // reads happen after readiness; never block the core thread
}

TcpConnection::~TcpConnection() = default;

void TcpConnection::start(std::unique_ptr<StreamHandler> handler) {
  handler_ = std::move(handler);
  read();
}

void TcpConnection::read() {
  read_armed_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [self = shared_from_this()](
                                                           std::error_code ec) {
    self->read_armed_ = false;
    if (self->finished_) return;
    if (ec) {
      self->finish(ec);
      return;
    }
    auto& buffer = self->read_buffer_->bytes;
    std::error_code read_ec;
    const std::size_t n = self->socket_.read_some(asio::buffer(buffer), read_ec);
    if (read_ec == asio::error::would_block || read_ec == asio::error::try_again) {
      self->read();  // spurious wake-up
      return;
    }
    if (read_ec) {
      self->finish(read_ec);
      return;
    }
    // After close() input is drained and discarded until the peer's FIN: closing with unread
    // input would send RST and could destroy our last packets (a CONNACK or DISCONNECT with the
    // reason) in flight.
    if (!self->closing_) self->handler_->on_data(std::span<const std::byte>(buffer.data(), n));
    if (!self->finished_ && !self->read_paused_ && !self->read_armed_) self->read();
  });
}

void TcpConnection::set_reading(bool on) {
  read_paused_ = !on;
  if (finished_) return;
  if (!on) {
    paused_hold_ = shared_from_this();
    return;
  }
  if (!read_armed_ && handler_) read();
  paused_hold_.reset();  // after read(), which holds it now
}

void TcpConnection::write(std::span<const std::byte> bytes) {
  if (closing_ || finished_) return;
  queued_.insert(queued_.end(), bytes.begin(), bytes.end());
  schedule_flush();
}

void TcpConnection::schedule_flush() {
  if (flush_scheduled_ || !writing_.empty()) return;
  flush_scheduled_ = true;
  // Deferred to the end of this loop pass so that every packet produced in it (responses to a
  // whole read, a fan-out to this subscriber) leaves in one write.
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

void TcpConnection::flush() {
  if (finished_ || !writing_.empty()) return;
  if (queued_.empty()) {
    if (closing_) {
      // Everything is out: send our FIN and wait (within close()'s deadline) for the peer's;
      // read() finishes when it arrives.
      std::error_code ignored;
      socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    }
    return;
  }
  writing_.swap(queued_);
  written_ = 0;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](std::error_code ec, std::size_t n) {
                      self->written_ = n;  // progress of a large write, for pending_bytes()
                      return asio::transfer_all()(ec, n);
                    },
                    [self = shared_from_this()](std::error_code ec, std::size_t) {
                      // A burst's buffer is not kept by a connection that goes quiet.
                      if (self->writing_.capacity() > kKeepWriteCapacity) {
                        self->writing_ = {};
                      } else {
                        self->writing_.clear();
                      }
                      self->written_ = 0;
                      if (self->finished_) return;
                      if (ec) {
                        self->finish(ec);
                        return;
                      }
                      self->flush();
                      if (!self->finished_) self->handler_->on_written();
                    });
}

void TcpConnection::close() {
  if (closing_ || finished_) return;
  closing_ = true;
  set_reading(true);  // the peer's FIN must be seen
  // One deadline for the whole close, started now: a peer that stops reading (zero window)
  // would otherwise hold the connection, its slot and its unsent bytes forever.
  // Created only now: a connection spends almost all its life without needing it.
  linger_ = std::make_unique<asio::steady_timer>(socket_.get_executor(), kCloseDeadline);
  linger_->async_wait([self = shared_from_this()](std::error_code ec) {
    if (!ec) self->finish({});
  });
  if (writing_.empty() && !flush_scheduled_) flush();
}

void TcpConnection::abort() {
  queued_.clear();
  finish({});
}

void TcpConnection::finish(std::error_code ec) {
  if (finished_) return;
  finished_ = true;
  // Let go of the pause's hold later: the caller may be running inside this connection.
  if (paused_hold_) asio::post(socket_.get_executor(), [hold = std::move(paused_hold_)] {});
  if (linger_) linger_->cancel();
  std::error_code ignored;
  socket_.close(ignored);
  // The handler is told once; it is destroyed with this connection when the last pending
  // operation lets go of it.
  if (handler_) handler_->on_closed(ec);
}

}  // namespace gw::broker::net

#include "broker/net/stream_connection.hpp"

#include <asio/post.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>

#include "core/check.hpp"

namespace gw::broker::net {

Accepted adopt(asio::ip::tcp::socket socket) {
  // target() points into the executor object: keep it alive while it is used.
  const asio::any_io_executor any = socket.get_executor();
  const auto* executor = any.target<asio::io_context::executor_type>();
  GW_CHECK(executor != nullptr);  // the socket belongs to an io_context
  asio::io_context& io = executor->context();
  std::error_code ec;
  const auto protocol = socket.local_endpoint(ec).protocol();
  GW_CHECK(!ec);  // an open socket
  const auto peer = socket.remote_endpoint(ec);
  const bool peer_known = !ec;
  const auto fd = socket.release(ec);
  GW_CHECK(!ec);
  return {.socket = Socket(io, protocol, fd), .peer = peer, .peer_known = peer_known};
}

template <class Stream>
StreamConnection<Stream>::~StreamConnection() = default;

template <class Stream>
void StreamConnection<Stream>::start(std::unique_ptr<StreamHandler> handler) {
  handler_ = std::move(handler);
  open();
}

template <class Stream>
void StreamConnection<Stream>::on_read(std::error_code ec, std::span<const std::byte> data) {
  read_armed_ = false;
  if (finished_) return;
  if (ec) {
    finish(ec);
    return;
  }
  // After close() input is drained and discarded until the peer's FIN (or TLS close_notify):
  // closing with unread input would send RST and could destroy our last packets (a CONNACK or
  // DISCONNECT with the reason) in flight.
  if (!closing_ && !data.empty()) handler_->on_data(data);
  // The handler may have paused reading (back-pressure), or paused and resumed it (which armed
  // a read already).
  if (!finished_ && !read_paused_ && !read_armed_) arm_read();
}

template <class Stream>
void StreamConnection<Stream>::set_reading(bool on) {
  read_paused_ = !on;
  if (finished_) return;
  if (!on) {
    paused_hold_ = self();
    return;
  }
  // Not before start() nor during a TLS handshake: their completion arms the first read.
  if (!read_armed_ && handler_ && writable()) arm_read();
  paused_hold_.reset();  // after arm_read(), whose operation holds the connection now
}

template <class Stream>
void StreamConnection<Stream>::release_idle_buffers() {
  // Not while a write is in flight (it owns writing_) or bytes wait for one.
  if (!writing_.empty() || !queued_.empty()) return;
  // A new empty vector, not `= {}`: that assigns an empty initializer_list and keeps the capacity.
  writing_ = std::vector<std::byte>();
  queued_ = std::vector<std::byte>();
}

template <class Stream>
void StreamConnection<Stream>::write(std::span<const std::byte> bytes) {
  if (closing_ || finished_) return;
  queued_.insert(queued_.end(), bytes.begin(), bytes.end());
  if (writable()) schedule_flush();  // else the stream flushes when it becomes writable
}

template <class Stream>
void StreamConnection<Stream>::schedule_flush() {
  if (flush_scheduled_ || !writing_.empty()) return;
  flush_scheduled_ = true;
  // Deferred to the end of this loop pass so that every packet produced in it (responses to a
  // whole read, a fan-out to this subscriber) leaves in one write.
  asio::post(stream_.get_executor(), [self = self()] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

template <class Stream>
void StreamConnection<Stream>::flush() {
  if (finished_ || !writable() || !writing_.empty()) return;
  if (queued_.empty()) {
    // Everything is out: end our side and wait (within close()'s deadline) for the peer's end;
    // the read loop finishes when it arrives.
    if (closing_) shutdown_send();
    return;
  }
  writing_.swap(queued_);
  written_ = 0;
  asio::async_write(stream_, asio::buffer(writing_),
                    [self = self()](std::error_code ec, std::size_t n) {
                      self->written_ = n;  // progress of a large write, for pending_bytes()
                      return asio::transfer_all()(ec, n);
                    },
                    [self = self()](std::error_code ec, std::size_t) {
                      // A burst's buffer is not kept by a connection that goes quiet.
                      if (self->writing_.capacity() > kKeepWriteCapacity) {
                        self->writing_ = std::vector<std::byte>();  // not `= {}`: keeps capacity
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

template <class Stream>
void StreamConnection<Stream>::close() {
  if (closing_ || finished_) return;
  closing_ = true;
  if (!writable()) {
    // Nothing can be sent yet (TLS before its handshake): a client that stalls there is simply
    // dropped.
    finish({});
    return;
  }
  set_reading(true);  // the peer's FIN (or TLS close_notify) must be seen
  // One deadline for the whole close, started now: a peer that stops reading (zero window)
  // would otherwise hold the connection, its slot and its unsent bytes forever.
  // Created only now: a connection spends almost all its life without needing it.
  linger_ = std::make_unique<Timer>(stream_.get_executor(), kCloseDeadline);
  linger_->async_wait([self = self()](std::error_code ec) {
    if (!ec) self->finish({});
  });
  if (writing_.empty() && !flush_scheduled_) flush();
}

template <class Stream>
void StreamConnection<Stream>::abort() {
  queued_.clear();
  finish({});
}

template <class Stream>
void StreamConnection<Stream>::finish(std::error_code ec) {
  if (finished_) return;
  finished_ = true;
  // Let go of the pause's hold later: the caller may be running inside this connection.
  if (paused_hold_) asio::post(stream_.get_executor(), [hold = std::move(paused_hold_)] {});
  if (linger_) linger_->cancel();
  std::error_code ignored;
  stream_.lowest_layer().close(ignored);
  // The handler is told once; it is destroyed with this connection when the last pending
  // operation lets go of it.
  if (handler_) handler_->on_closed(ec);
}

template <class Stream>
const PeerInfo& StreamConnection<Stream>::described() const {
  if (!peer_info_) peer_info_ = std::make_unique<PeerInfo>(describe_peer(peer_endpoint_, peer_known_));
  return *peer_info_;
}

template class StreamConnection<asio::ssl::stream<Socket>>;

}  // namespace gw::broker::net

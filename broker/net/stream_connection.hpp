// net::StreamConnection<Stream>: what every accepted byte-stream client has in common, whatever
// carries the bytes: the write queue (everything queued in one loop pass leaves in one write),
// close() (flush, then end the stream within kCloseDeadline), abort() (drop everything), the read
// loop that hands each read to the StreamHandler, and the peer's name, on asio's reactor.
// TlsConnection (Stream = asio::ssl::stream<Socket>) adds how a read is armed, how the sending
// side is shut down, the handshake and the certificate identity. (Plain TCP connections are on
// the broker's own epoll set instead: TcpConnection.)
//
// Ownership: shared_ptr, kept alive by its own pending asynchronous operations; it owns its
// handler, so the handler lives exactly as long as the connection.
// Thread safety: core thread only (the io_context that runs the broker).
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <asio/basic_waitable_timer.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "broker/net/peer_info.hpp"
#include "broker/net/transport.hpp"
#include "core/check.hpp"
#include "core/unique_fd.hpp"

namespace gw::broker::net {

// A TCP socket bound to the io_context's own executor type rather than the type-erased
// any_io_executor: 40 bytes instead of 88, and every operation pending on it (an idle
// connection always has one) is 48 bytes smaller.
using Socket = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;

// An accepted connection and the peer's address (`peer_known` false when there was none): either
// `socket` is open (on asio's reactor), or it is closed and `fd` holds the descriptor, which no
// reactor knows yet (TcpListener's raw mode, for the broker's own epoll set).
struct Accepted {
  Socket socket;
  asio::ip::tcp::endpoint peer;
  bool peer_known = true;
  UniqueFd fd;  // from accept4(): non-blocking, close-on-exec
};

// `socket` moved onto the io_context-typed Socket (same descriptor), with its peer's address, for
// callers that hold an asio::ip::tcp::socket of an io_context. Aborts when its executor is not an
// io_context's or the socket is not open.
Accepted adopt(asio::ip::tcp::socket socket);

template <class Stream>
class StreamConnection : public Transport,
                         public std::enable_shared_from_this<StreamConnection<Stream>> {
 public:
  // close() flushes what is queued and ends the stream, for at most this long.
  static constexpr std::chrono::seconds kCloseDeadline{3};

  ~StreamConnection() override;
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  // Takes the handler and starts the connection (reading; for TLS the handshake first).
  // Call once, right after construction.
  void start(std::unique_ptr<StreamHandler> handler);

  void write(std::span<const std::byte> bytes) override;
  void close() override;
  void abort() override;
  [[nodiscard]] std::size_t pending_bytes() const override {
    return queued_.size() + writing_.size() - written_;
  }
  void set_reading(bool on) override;
  void release_idle_buffers() override;
  // Bytes allocated for writing (queued and in flight), for tests.
  [[nodiscard]] std::size_t write_capacity() const {
    return queued_.capacity() + writing_.capacity();
  }
  // A read is outstanding (tests: a paused connection has none).
  [[nodiscard]] bool read_armed() const { return read_armed_; }
  [[nodiscard]] const std::string& peer() const override { return described().peer; }
  [[nodiscard]] const std::string& peer_address() const override { return described().address; }
  [[nodiscard]] bool peer_is_loopback() const override { return peer_known_ && is_loopback(peer_endpoint_); }

 protected:
  // `extra`: what the stream needs besides the socket (TLS: its context).
  template <class... Extra>
  StreamConnection(Accepted accepted, Extra&&... extra);

  // --- what differs by stream ---
  // After start() has taken the handler: TCP reads at once, TLS starts its handshake.
  virtual void open() { start_reading(); }
  // Arms one read; its completion calls on_read() (with no data for a spurious wake-up).
  // Called only through arm_read().
  virtual void read() = 0;
  // Everything queued after close() is written: end our side of the stream.
  virtual void shutdown_send() = 0;
  // False while nothing may be written yet (TLS before its handshake): writes only queue, and
  // close() drops the client since nothing could be sent to it.
  [[nodiscard]] virtual bool writable() const { return true; }

  // --- the common path, for the streams ---
  // A read completed. Hands the data to the handler and arms the next read: the one place where
  // reading continues.
  void on_read(std::error_code ec, std::span<const std::byte> data);
  // Arms the next read (and notes that one is outstanding, for set_reading()).
  void arm_read() {
    read_armed_ = true;
    read();
  }
  // The first read, once the stream is ready (TLS: after its handshake); a connection paused
  // before that starts reading when set_reading(true) comes.
  void start_reading() {
    if (!read_paused_) arm_read();
  }
  void schedule_flush();
  void flush();
  void finish(std::error_code ec);
  std::shared_ptr<StreamConnection> self() { return this->shared_from_this(); }

  Stream stream_;
  std::unique_ptr<StreamHandler> handler_;
  bool closing_ = false;  // close(): no more writes, shut down when the queue is empty
  bool finished_ = false;

 private:
  using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                           asio::wait_traits<std::chrono::steady_clock>,
                                           asio::io_context::executor_type>;
  static constexpr std::size_t kKeepWriteCapacity = 64 * 1024;

  [[nodiscard]] const PeerInfo& described() const;

  asio::ip::tcp::endpoint peer_endpoint_;
  mutable std::unique_ptr<PeerInfo> peer_info_;  // built on first use
  std::unique_ptr<Timer> linger_;                // only while closing
  std::vector<std::byte> queued_;                // appended to while writing_ is on the wire
  std::vector<std::byte> writing_;               // owned by the write in flight
  bool peer_known_ = false;
  bool flush_scheduled_ = false;
  // Back-pressure (set_reading): a read is outstanding only while reading.
  bool read_paused_ = false;
  bool read_armed_ = false;
  std::size_t written_ = 0;  // of writing_, by the write in flight so far
  // While paused no read holds the connection alive (an idle one may have no write either).
  std::shared_ptr<StreamConnection> paused_hold_;
};

template <class Stream>
template <class... Extra>
StreamConnection<Stream>::StreamConnection(Accepted accepted, Extra&&... extra)
    : stream_(std::move(accepted.socket), std::forward<Extra>(extra)...),
      peer_endpoint_(accepted.peer),
      peer_known_(accepted.peer_known) {
  GW_CHECK(accepted.fd.get() < 0);  // an asio socket: TcpListener::Mode::Asio
  std::error_code ec;
  // Best effort: latency, not correctness. Batching is ours (one write per loop pass).
  stream_.lowest_layer().set_option(asio::ip::tcp::no_delay(true), ec);
}

}  // namespace gw::broker::net

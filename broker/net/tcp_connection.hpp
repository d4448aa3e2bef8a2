// net::TcpConnection: one accepted plain TCP client, on the broker's own epoll set (TcpReactor)
// rather than asio's reactor. It takes the descriptor the listener accepted (or an asio socket,
// taken out of asio), so that an idle connection costs this object and nothing else: no
// per-socket reactor state, no pending operation.
//
// Reads: on readability, one non-blocking recv() into the read buffer shared by all connections
// (the reactor's), handed to the StreamHandler at once. Back-pressure (set_reading) is the
// EPOLLIN interest. Writes: everything queued in one loop pass leaves in one send() at the end
// of the pass (TCP_NODELAY is on, so batching is ours, not Nagle's); what the kernel does not
// take at once stays queued and goes out on EPOLLOUT. close() sends what is queued, ends with a
// FIN and waits for the peer's (input meanwhile is discarded) within kCloseDeadline.
//
// Ownership: shared_ptr, made by create(). From then to the end of the stream it holds itself
// (the reactor refers to it by pointer only); it owns its handler, so the handler lives exactly
// as long as the connection. The reactor must outlive its registration: destroying the reactor
// aborts it.
// Thread safety: core thread only (the io_context that runs the broker).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <asio/basic_waitable_timer.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "broker/net/peer_info.hpp"
#include "broker/net/stream_connection.hpp"
#include "broker/net/tcp_reactor.hpp"
#include "broker/net/transport.hpp"

namespace gw::broker::net {

class TcpConnection final : public Transport {
  struct Key {
    explicit Key() = default;
  };

 public:
  // close() flushes what is queued and ends the stream, for at most this long.
  static constexpr std::chrono::seconds kCloseDeadline{3};

  // A new connection on `accepted` (its descriptor, or its socket taken out of asio: it is then
  // the reactor's to watch). It holds itself until its stream ends: start() it, or abort() it.
  static std::shared_ptr<TcpConnection> create(Accepted accepted, TcpReactor& reactor) {
    auto connection = std::make_shared<TcpConnection>(Key{}, std::move(accepted), reactor);
    connection->self_ = connection;
    return connection;
  }
  // A socket accepted elsewhere (an asio::ip::tcp::socket of an io_context).
  static std::shared_ptr<TcpConnection> create(asio::ip::tcp::socket socket, TcpReactor& reactor) {
    return create(adopt(std::move(socket)), reactor);
  }
  TcpConnection(Key, Accepted accepted, TcpReactor& reactor);  // for create()
  ~TcpConnection() override;
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Takes the handler and starts reading. Call once, right after construction.
  void start(std::unique_ptr<StreamHandler> handler);

  void write(std::span<const std::byte> bytes) override;
  void close() override;
  void abort() override;
  [[nodiscard]] std::size_t pending_bytes() const override { return out_.size() - sent_; }
  void set_reading(bool on) override;
  void release_idle_buffers() override;
  // Bytes allocated for writing (queued and being sent), for tests.
  [[nodiscard]] std::size_t write_capacity() const { return out_.capacity(); }
  // Reading is on: the socket is watched for input (tests: a paused connection is not).
  [[nodiscard]] bool read_armed() const { return registered_ && (interest_ & kIn) != 0; }
  [[nodiscard]] const std::string& peer() const override { return described().peer; }
  [[nodiscard]] const std::string& peer_address() const override { return described().address; }
  [[nodiscard]] bool peer_is_loopback() const override {
    return peer_known_ && is_loopback(peer_endpoint_);
  }

 private:
  friend class TcpReactor;
  using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                           asio::wait_traits<std::chrono::steady_clock>,
                                           asio::io_context::executor_type>;
  static constexpr std::size_t kKeepWriteCapacity = 64 * 1024;
  static constexpr std::uint8_t kIn = 1;
  static constexpr std::uint8_t kOut = 2;

  // The reactor's events for this socket (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP).
  void on_ready(std::uint32_t events);
  void read_once();
  void schedule_flush();
  // Starts sending what is queued when nothing is being sent; with nothing queued after
  // close(), ends our side.
  void flush();
  // Sends what is left of the batch being sent until done or the kernel's buffer is full.
  void send_pending();
  // Watches the socket for what is wanted now (input unless paused, output while a send waits).
  void update_interest();
  [[nodiscard]] std::uint8_t wanted_interest() const;
  static std::uint32_t events(std::uint8_t interest);
  void finish(std::error_code ec);
  [[nodiscard]] const PeerInfo& described() const;

  // What few connections need, in one allocation made on first use: the peer's name (for logs
  // and per-address limits) and the close deadline.
  struct Rare {
    std::optional<PeerInfo> peer;
    std::optional<Timer> linger;
  };
  Rare& rare() const {
    if (!rare_) rare_ = std::make_unique<Rare>();
    return *rare_;
  }

  // Ordered for size (one per idle connection): the flags share the word after the endpoint.
  TcpReactor& reactor_;
  std::unique_ptr<StreamHandler> handler_;
  std::shared_ptr<TcpConnection> self_;  // from create() until finish()
  TcpConnection* prev_ = nullptr;         // in the reactor's list of registered connections
  TcpConnection* next_ = nullptr;
  asio::ip::tcp::endpoint peer_endpoint_;
  int fd_ = -1;
  std::uint8_t interest_ = 0;  // kIn | kOut as registered
  bool registered_ : 1 = false;
  bool peer_known_ : 1 = false;
  bool closing_ : 1 = false;  // close(): no more writes, shut down when the queue is empty
  bool finished_ : 1 = false;
  bool flush_scheduled_ : 1 = false;
  bool read_paused_ : 1 = false;  // set_reading(false)
  mutable std::unique_ptr<Rare> rare_;
  // Queued bytes; the first batch_end_ of them are being sent (one write: what was queued when
  // it began, at most kMaxBatch), sent_ of those are out. Bytes queued meanwhile follow in the
  // next write. 32 bits each, so that both share one word.
  static constexpr std::size_t kMaxBatch = 0xFFFF'FFFF;
  std::vector<std::byte> out_;
  std::uint32_t sent_ = 0;
  std::uint32_t batch_end_ = 0;  // 0: nothing being sent
};

}  // namespace gw::broker::net

// net::TcpConnection: one accepted TCP client. Waits for readability, reads into the read buffer
// shared by all connections of the core thread and hands the bytes to its StreamHandler at once,
// so an idle connection holds no read buffer of its own; writes are queued and leave as one write
// per loop pass (TCP_NODELAY is on, so batching is ours, not Nagle's).
//
// Ownership: shared_ptr, kept alive by its own pending asynchronous operations; it owns its
// handler, so the handler lives exactly as long as the connection.
// Thread safety: core thread only (the io_context that runs the broker).
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "broker/net/transport.hpp"

namespace gw::broker::net {

// The read buffer shared by every connection on one thread. Each read is handed to its handler
// (which consumes or copies it) before any other read can land, so one buffer serves all.
struct SharedReadBuffer {
  std::array<std::byte, 64 * 1024> bytes;
};

class TcpConnection final : public Transport, public std::enable_shared_from_this<TcpConnection> {
 public:
  // close() flushes what is queued and waits for the peer's FIN, for at most this long.
  static constexpr std::chrono::seconds kCloseDeadline{3};

  TcpConnection(asio::ip::tcp::socket socket, std::shared_ptr<SharedReadBuffer> read_buffer);
  ~TcpConnection() override;

  // Takes the handler and starts reading. Call once, right after construction.
  void start(std::unique_ptr<StreamHandler> handler);

  void write(std::span<const std::byte> bytes) override;
  void close() override;
  void abort() override;
  [[nodiscard]] std::size_t pending_bytes() const override {
    return queued_.size() + writing_.size() - written_;
  }
  [[nodiscard]] const std::string& peer() const override { return peer_; }
  [[nodiscard]] const std::string& peer_address() const override { return peer_address_; }
  [[nodiscard]] bool peer_is_loopback() const override { return peer_loopback_; }
  void set_reading(bool on) override;

 private:
  void read();
  void schedule_flush();
  void flush();
  void finish(std::error_code ec);

  static constexpr std::size_t kKeepWriteCapacity = 64 * 1024;

  asio::ip::tcp::socket socket_;
  std::unique_ptr<asio::steady_timer> linger_;  // only while closing
  std::string peer_;
  std::string peer_address_;
  bool peer_loopback_ = false;
  std::unique_ptr<StreamHandler> handler_;
  std::shared_ptr<SharedReadBuffer> read_buffer_;
  std::vector<std::byte> queued_;   // appended to while writing_ is on the wire
  std::vector<std::byte> writing_;  // owned by the write in flight
  bool flush_scheduled_ = false;
  bool closing_ = false;  // close(): no more writes, shut down when the queue is empty
  bool finished_ = false;
  // Back-pressure (set_reading): a wait for readability is armed only while reading.
  bool read_paused_ = false;
  bool read_armed_ = false;
  std::size_t written_ = 0;  // of writing_, by the write in flight so far
  // While paused no read holds the connection alive (an idle one may have no write either).
  std::shared_ptr<TcpConnection> paused_hold_;
};

}  // namespace gw::broker::net

// net::TlsConnection: one accepted client on a TLS listener. Runs the server handshake, then
// passes decrypted bytes to its StreamHandler and encrypts what is written, with the same
// contract as TcpConnection: writes queued in one loop pass leave in one TLS write, close()
// flushes then sends close_notify within kCloseDeadline, abort() drops everything.
//
// The handler exists from the TCP accept on (the broker counts the connection and starts its
// connect_timeout then), so a client that never completes the handshake is closed by the
// broker's CONNECT deadline like one that never sends CONNECT. The handshake is asynchronous:
// the core thread only runs OpenSSL's own computation. A failed handshake is reported once
// through `on_handshake_failed` with OpenSSL's reason; one cut short by close()/abort() is not.
//
// Unlike TcpConnection it has a read buffer of its own: the TLS layer decrypts into the buffer
// when it has a whole record, which may be before the read's handler runs, so a buffer shared
// between connections could be overwritten in between.
//
// Ownership: shared_ptr, kept alive by its own pending asynchronous operations; owns its handler.
// Keeps the ssl::context it started with, so a certificate reload does not affect it.
// Thread safety: core thread only.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>

#include "broker/net/transport.hpp"
#include "broker/options.hpp"

namespace gw::broker::net {

class TlsConnection final : public Transport, public std::enable_shared_from_this<TlsConnection> {
 public:
  using OnHandshakeFailed = std::function<void(const std::string& peer, const std::string& reason)>;
  static constexpr std::chrono::seconds kCloseDeadline{3};

  TlsConnection(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> context,
                ListenerTlsOptions::Identity identity, OnHandshakeFailed on_handshake_failed);
  ~TlsConnection() override;

  // Takes the handler and starts the handshake; reading starts when it succeeds. Call once.
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
  [[nodiscard]] std::optional<std::string> tls_identity() const override { return identity_; }

 private:
  using Stream = asio::ssl::stream<asio::ip::tcp::socket>;
  // TLS records carry at most 16 KiB of plaintext, so one read never returns more.
  using ReadBuffer = std::array<std::byte, 16 * 1024>;
  static constexpr std::size_t kKeepWriteCapacity = 64 * 1024;

  void on_handshake(std::error_code ec);
  void read();
  void schedule_flush();
  void flush();
  void finish(std::error_code ec);

  std::shared_ptr<asio::ssl::context> context_;  // outlives stream_
  Stream stream_;
  ListenerTlsOptions::Identity identity_kind_;
  OnHandshakeFailed on_handshake_failed_;
  std::unique_ptr<asio::steady_timer> linger_;  // only while closing
  std::string peer_;
  std::string peer_address_;
  bool peer_loopback_ = false;
  std::optional<std::string> identity_;
  std::unique_ptr<StreamHandler> handler_;
  std::unique_ptr<ReadBuffer> read_buffer_;  // from the end of the handshake on
  std::vector<std::byte> queued_;
  std::vector<std::byte> writing_;
  bool handshake_done_ = false;
  bool flush_scheduled_ = false;
  bool closing_ = false;
  bool shutdown_sent_ = false;
  bool finished_ = false;
  // Back-pressure (set_reading): a read is outstanding only while reading.
  bool read_paused_ = false;
  bool read_armed_ = false;
  std::size_t written_ = 0;  // of writing_, by the write in flight so far
  // While paused no read holds the connection alive (an idle one may have no write either).
  std::shared_ptr<TlsConnection> paused_hold_;
};

// The user name `kind` selects from a verified peer certificate: the subject's first Common
// Name, or the first DNS name or e-mail address of its subjectAltName. nullopt when there is no
// certificate, no such field, or the field is empty or holds a NUL byte.
std::optional<std::string> certificate_identity(SSL* ssl, ListenerTlsOptions::Identity kind);

}  // namespace gw::broker::net

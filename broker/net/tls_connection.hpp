// net::TlsConnection: one accepted client on a TLS listener, a StreamConnection over
// asio::ssl::stream. Runs the server handshake, then passes decrypted bytes to its StreamHandler
// and encrypts what is written, with the StreamConnection contract: writes queued in one loop
// pass leave in one TLS write, close() flushes then sends close_notify within kCloseDeadline,
// abort() drops everything. What it adds is the handshake and the certificate identity.
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
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>

#include "broker/net/stream_connection.hpp"
#include "broker/options.hpp"

namespace gw::broker::net {

// Holds the TLS context for TlsConnection, as a base constructed before the stream that uses it.
struct TlsContextHolder {
  std::shared_ptr<asio::ssl::context> context_;
};

using TlsStream = asio::ssl::stream<Socket>;

class TlsConnection final : private TlsContextHolder, public StreamConnection<TlsStream> {
 public:
  using OnHandshakeFailed = std::function<void(const std::string& peer, const std::string& reason)>;

  TlsConnection(Accepted accepted, std::shared_ptr<asio::ssl::context> context,
                ListenerTlsOptions::Identity identity, OnHandshakeFailed on_handshake_failed);
  // A socket accepted elsewhere (an asio::ip::tcp::socket of an io_context).
  TlsConnection(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> context,
                ListenerTlsOptions::Identity identity, OnHandshakeFailed on_handshake_failed)
      : TlsConnection(adopt(std::move(socket)), std::move(context), identity,
                      std::move(on_handshake_failed)) {}
  ~TlsConnection() override;

  [[nodiscard]] std::optional<std::string> tls_identity() const override { return identity_; }

 private:
  // TLS records carry at most 16 KiB of plaintext, so one read never returns more.
  using ReadBuffer = std::array<std::byte, 16 * 1024>;

  void open() override;  // the handshake; reading starts when it succeeds
  void on_handshake(std::error_code ec);
  void read() override;
  void shutdown_send() override;  // close_notify
  [[nodiscard]] bool writable() const override { return handshake_done_; }

  ListenerTlsOptions::Identity identity_kind_;
  OnHandshakeFailed on_handshake_failed_;
  std::optional<std::string> identity_;
  std::unique_ptr<ReadBuffer> read_buffer_;  // from the end of the handshake on
  bool handshake_done_ = false;
  bool shutdown_sent_ = false;
};

// The user name `kind` selects from a verified peer certificate: the subject's first Common
// Name, or the first DNS name or e-mail address of its subjectAltName. nullopt when there is no
// certificate, no such field, or the field is empty or holds a NUL byte.
std::optional<std::string> certificate_identity(SSL* ssl, ListenerTlsOptions::Identity kind);

}  // namespace gw::broker::net

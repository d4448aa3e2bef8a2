#include "broker/net/tls_connection.hpp"

#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <asio/write.hpp>
#include <openssl/x509v3.h>

#include "broker/net/peer_info.hpp"

namespace gw::broker::net {

namespace {

std::optional<std::string> text(const ASN1_STRING* s) {
  if (s == nullptr) return std::nullopt;
  const int n = ASN1_STRING_length(s);
  if (n <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(n));
  // A NUL inside a name is the classic way to smuggle "victim\0.attacker" past a comparison.
  if (out.find('\0') != std::string::npos) return std::nullopt;
  return out;
}

std::optional<std::string> common_name(X509* cert) {
  const X509_NAME* subject = X509_get_subject_name(cert);
  const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at < 0) return std::nullopt;
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  if (out.empty() || out.find('\0') != std::string::npos) return std::nullopt;
  return out;
}

std::optional<std::string> alt_name(X509* cert, int type) {
  struct Free {
    void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
  };
  const std::unique_ptr<GENERAL_NAMES, Free> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return std::nullopt;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != type) continue;
    return text(type == GEN_DNS ? name->d.dNSName : name->d.rfc822Name);
  }
  return std::nullopt;
}

// "wrong version number", "tlsv1 alert unknown ca": what OpenSSL says, without asio's
// "(SSL routines)" decoration.
std::string reason(std::error_code ec) {
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return "the peer closed the connection";
  }
  std::string text = ec.message();
  if (const auto at = text.find(" (SSL routines)"); at != std::string::npos) text.erase(at);
  return text;
}

}  // namespace

std::optional<std::string> certificate_identity(SSL* ssl, ListenerTlsOptions::Identity kind) {
  using Identity = ListenerTlsOptions::Identity;
  if (kind == Identity::None || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  struct Free {
    void operator()(X509* c) const { X509_free(c); }
  };
  const std::unique_ptr<X509, Free> cert(SSL_get1_peer_certificate(ssl));
  if (!cert) return std::nullopt;
  switch (kind) {
    case Identity::CommonName: return common_name(cert.get());
    case Identity::SanDns: return alt_name(cert.get(), GEN_DNS);
    case Identity::SanEmail: return alt_name(cert.get(), GEN_EMAIL);
    case Identity::None: break;
  }
  return std::nullopt;
}

TlsConnection::TlsConnection(asio::ip::tcp::socket socket,
                             std::shared_ptr<asio::ssl::context> context,
                             ListenerTlsOptions::Identity identity,
                             OnHandshakeFailed on_handshake_failed)
    : context_(std::move(context)),
      stream_(std::move(socket), *context_),
      identity_kind_(identity),
      on_handshake_failed_(std::move(on_handshake_failed)) {
  PeerInfo info = describe_peer(stream_.next_layer());
  peer_ = std::move(info.peer);
  peer_address_ = std::move(info.address);
  peer_loopback_ = info.loopback;
  std::error_code ec;
  stream_.next_layer().set_option(asio::ip::tcp::no_delay(true), ec);  // best effort
}

TlsConnection::~TlsConnection() = default;

void TlsConnection::start(std::unique_ptr<StreamHandler> handler) {
  handler_ = std::move(handler);
  stream_.async_handshake(asio::ssl::stream_base::server,
                          [self = shared_from_this()](std::error_code ec) { self->on_handshake(ec); });
}

void TlsConnection::on_handshake(std::error_code ec) {
  if (finished_) return;  // closed meanwhile (connect timeout, shutdown)
  if (ec) {
    if (on_handshake_failed_) on_handshake_failed_(peer_, reason(ec));
    finish(ec);
    return;
  }
  handshake_done_ = true;
  identity_ = certificate_identity(stream_.native_handle(), identity_kind_);
  read_buffer_ = std::make_unique<ReadBuffer>();
  if (closing_) {
    flush();
  } else if (!queued_.empty()) {
    schedule_flush();
  }
  read();
}

void TlsConnection::read() {
  read_armed_ = true;
  stream_.async_read_some(asio::buffer(*read_buffer_), [self = shared_from_this()](
                                                            std::error_code ec, std::size_t n) {
    self->read_armed_ = false;
    if (self->finished_) return;
    if (ec) {
      // A peer that just drops TCP without close_notify (a killed client) ends the stream the
      // same way as one that says goodbye.
      self->finish(ec == asio::ssl::error::stream_truncated ? asio::error::eof : ec);
      return;
    }
    // After close() input is drained and discarded until the peer's close_notify or FIN.
    if (!self->closing_) {
      self->handler_->on_data(std::span<const std::byte>(self->read_buffer_->data(), n));
    }
    if (!self->finished_ && !self->read_paused_ && !self->read_armed_) self->read();
  });
}

void TlsConnection::set_reading(bool on) {
  read_paused_ = !on;
  if (finished_) return;
  if (!on) {
    paused_hold_ = shared_from_this();
    return;
  }
  if (!read_armed_ && handshake_done_) read();
  paused_hold_.reset();  // after read(), which holds it now
}

void TlsConnection::write(std::span<const std::byte> bytes) {
  if (closing_ || finished_) return;
  queued_.insert(queued_.end(), bytes.begin(), bytes.end());
  if (handshake_done_) schedule_flush();  // else the end of the handshake flushes
}

void TlsConnection::schedule_flush() {
  if (flush_scheduled_ || !writing_.empty()) return;
  flush_scheduled_ = true;
  // Deferred to the end of this loop pass, as in TcpConnection: one TLS write per pass.
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

void TlsConnection::flush() {
  if (finished_ || !handshake_done_ || !writing_.empty()) return;
  if (queued_.empty()) {
    if (closing_ && !shutdown_sent_) {
      // Everything is out: send close_notify. The read loop ends on the peer's answer (or its
      // FIN); close()'s deadline covers a peer that sends neither.
      shutdown_sent_ = true;
      stream_.async_shutdown([self = shared_from_this()](std::error_code) {
        if (!self->finished_) self->finish({});
      });
    }
    return;
  }
  writing_.swap(queued_);
  written_ = 0;
  asio::async_write(stream_, asio::buffer(writing_),
                    [self = shared_from_this()](std::error_code ec, std::size_t n) {
                      self->written_ = n;  // progress of a large write, for pending_bytes()
                      return asio::transfer_all()(ec, n);
                    },
                    [self = shared_from_this()](std::error_code ec, std::size_t) {
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

void TlsConnection::close() {
  if (closing_ || finished_) return;
  closing_ = true;
  if (!handshake_done_) {
    // Nothing can be sent before the handshake: a client that stalls in it is simply dropped.
    finish({});
    return;
  }
  set_reading(true);  // the peer's close_notify or FIN must be seen
  linger_ = std::make_unique<asio::steady_timer>(stream_.get_executor(), kCloseDeadline);
  linger_->async_wait([self = shared_from_this()](std::error_code ec) {
    if (!ec) self->finish({});
  });
  if (writing_.empty() && !flush_scheduled_) flush();
}

void TlsConnection::abort() {
  queued_.clear();
  finish({});
}

void TlsConnection::finish(std::error_code ec) {
  if (finished_) return;
  finished_ = true;
  // Let go of the pause's hold later: the caller may be running inside this connection.
  if (paused_hold_) asio::post(stream_.get_executor(), [hold = std::move(paused_hold_)] {});
  if (linger_) linger_->cancel();
  std::error_code ignored;
  stream_.next_layer().close(ignored);
  if (handler_) handler_->on_closed(ec);
}

}  // namespace gw::broker::net

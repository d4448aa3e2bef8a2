#include "broker/net/tls_connection.hpp"

#include <asio/ssl/error.hpp>
#include <openssl/x509v3.h>

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

TlsConnection::TlsConnection(Accepted accepted, std::shared_ptr<asio::ssl::context> context,
                             ListenerTlsOptions::Identity identity,
                             OnHandshakeFailed on_handshake_failed)
    : TlsContextHolder{std::move(context)},
      StreamConnection(std::move(accepted), *context_),
      identity_kind_(identity),
      on_handshake_failed_(std::move(on_handshake_failed)) {}

TlsConnection::~TlsConnection() = default;

void TlsConnection::open() {
  stream_.async_handshake(asio::ssl::stream_base::server, [self = self()](std::error_code ec) {
    static_cast<TlsConnection&>(*self).on_handshake(ec);
  });
}

void TlsConnection::on_handshake(std::error_code ec) {
  if (finished_) return;  // closed meanwhile (connect timeout, shutdown)
  if (ec) {
    if (on_handshake_failed_) on_handshake_failed_(peer(), reason(ec));
    finish(ec);
    return;
  }
  handshake_done_ = true;
  identity_ = certificate_identity(stream_.native_handle(), identity_kind_);
  read_buffer_ = std::make_unique<ReadBuffer>();
  if (closing_) {
    flush();
  } else if (pending_bytes() != 0) {
    schedule_flush();  // what was written during the handshake
  }
  start_reading();
}

void TlsConnection::read() {
  stream_.async_read_some(asio::buffer(*read_buffer_), [self = self()](std::error_code ec,
                                                                       std::size_t n) {
    auto& me = static_cast<TlsConnection&>(*self);
    // A peer that just drops TCP without close_notify (a killed client) ends the stream the
    // same way as one that says goodbye.
    if (ec == asio::ssl::error::stream_truncated) ec = asio::error::eof;
    me.on_read(ec, std::span<const std::byte>(me.read_buffer_->data(), ec ? 0 : n));
  });
}

void TlsConnection::shutdown_send() {
  if (shutdown_sent_) return;
  // The read loop ends on the peer's answer (or its FIN); close()'s deadline covers a peer that
  // sends neither.
  shutdown_sent_ = true;
  stream_.async_shutdown([self = self()](std::error_code) {
    auto& me = static_cast<TlsConnection&>(*self);
    if (!me.finished_) me.finish({});
  });
}

}  // namespace gw::broker::net

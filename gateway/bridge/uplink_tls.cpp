#include "gateway/bridge/uplink_tls.hpp"

#include <utility>

#include <asio/error.hpp>
#include <asio/ip/address.hpp>
#include <asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "broker/net/openssl_util.hpp"

namespace gw::bridge {

namespace {

using broker::net::take_openssl_reason;

// A readable file, or why not, before OpenSSL's less helpful "system lib".
bool readable(const std::string& path, std::string& problem) {
  auto why = broker::net::unreadable(path);
  if (!why) return true;
  problem = std::move(*why);
  return false;
}

bool load_identity(SSL_CTX* ctx, const TlsOptions& o, std::string& problem) {
  if (!readable(o.cert_file, problem)) return false;
  if (SSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()) != 1) {
    problem = "no certificate in '" + o.cert_file + "': " + take_openssl_reason();
    return false;
  }
  const std::string& key_file = o.key_file.empty() ? o.cert_file : o.key_file;
  if (!readable(key_file, problem)) return false;
  const int loaded = broker::net::use_private_key_file(ctx, key_file, o.key_password);
  if (loaded != 1) {
    problem = "cannot load the private key from '" + key_file + "': " + take_openssl_reason() +
              (o.key_password.empty() ? " (an encrypted key needs key_password)" : "");
    return false;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    take_openssl_reason();
    problem = "the private key in '" + key_file + "' does not belong to the certificate in '" +
              o.cert_file + "'";
    return false;
  }
  return true;
}

bool is_ip_address(const std::string& host) {
  std::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

Result<std::unique_ptr<asio::ssl::context>> make_uplink_tls_context(const TlsOptions& options,
                                                                    std::string& problem) {
  ERR_clear_error();
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (!options.cert_file.empty() && !load_identity(ctx, options, problem)) {
    return fail(std::errc::invalid_argument);
  }
  if (!options.ca_file.empty()) {
    if (!readable(options.ca_file, problem)) return fail(std::errc::invalid_argument);
    if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
      problem = "no CA certificate in '" + options.ca_file + "': " + take_openssl_reason();
      return fail(std::errc::invalid_argument);
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    problem = "cannot load the system's trust store: " + take_openssl_reason();
    return fail(std::errc::invalid_argument);
  }
  SSL_CTX_set_verify(ctx, options.verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  return context;
}

bool set_server_name(SSL* ssl, const std::string& host) {
  if (is_ip_address(host)) return true;
  return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
}

bool certificate_names_host(SSL* ssl, const std::string& host) {
  struct Free {
    void operator()(X509* x) const { X509_free(x); }
  };
  const std::unique_ptr<X509, Free> cert(SSL_get1_peer_certificate(ssl));
  if (!cert) return false;
  // As Paho: the host as a DNS name first, then as an IP address.
  if (X509_check_host(cert.get(), host.data(), host.size(), 0, nullptr) == 1) return true;
  return X509_check_ip_asc(cert.get(), host.c_str(), 0) == 1;
}

std::string tls_failure(SSL* ssl, const std::error_code& ec) {
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return "the server closed the connection";
  }
  std::string text = ec.message();
  if (const auto at = text.find(" (SSL routines)"); at != std::string::npos) text.erase(at);
  // Without SSL_VERIFY_PEER the chain is still checked, but its result does not end the handshake.
  if (ssl != nullptr && (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) text += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
  }
  return text;
}

}  // namespace gw::bridge

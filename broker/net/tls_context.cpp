#include "broker/net/tls_context.hpp"

#include <utility>

#include <asio/ssl/context.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "broker/net/openssl_util.hpp"

namespace gw::broker::net {

namespace {

// A readable file, or why not, with the key that named it.
bool readable(const std::string& path, const char* key, TlsProblem& problem) {
  auto why = unreadable(path);
  if (!why) return true;
  problem = {key, std::move(*why)};
  return false;
}

// The server certificate, its key, and whether they belong together.
bool load_identity(SSL_CTX* ctx, const ListenerTlsOptions& o, TlsProblem& problem) {
  if (!readable(o.cert_file, "cert_file", problem)) return false;
  if (SSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()) != 1) {
    problem = {"cert_file", "no certificate in '" + o.cert_file + "': " + take_openssl_reason()};
    return false;
  }
  const std::string& key_file = o.key_file.empty() ? o.cert_file : o.key_file;
  const char* key_key = o.key_file.empty() ? "cert_file" : "key_file";
  if (!readable(key_file, key_key, problem)) return false;
  const int loaded = use_private_key_file(ctx, key_file, o.key_password);
  const unsigned long error = loaded == 1 ? 0 : take_openssl_error();
  // OpenSSL compares the key with the certificate while loading it.
  if (loaded != 1 && ERR_GET_REASON(error) == X509_R_KEY_VALUES_MISMATCH) {
    problem = {key_key, "the private key in '" + key_file + "' does not belong to the certificate in '" +
                            o.cert_file + "'"};
    return false;
  }
  if (loaded != 1) {
    const std::string reason = openssl_reason_text(error);
    problem = {o.key_password.empty() ? key_key : "key_password",
               "cannot load the private key from '" + key_file + "': " + reason +
                   (o.key_password.empty() ? " (an encrypted key needs key_password)" : "")};
    return false;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    take_openssl_reason();
    problem = {key_key, "the private key in '" + key_file + "' does not belong to the certificate in '" +
                            o.cert_file + "'"};
    return false;
  }
  return true;
}

// The CAs client certificates must chain to, also announced to clients in the handshake.
bool load_client_cas(SSL_CTX* ctx, const ListenerTlsOptions& o, TlsProblem& problem) {
  if (!readable(o.ca_file, "ca_file", problem)) return false;
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.ca_file.c_str());
  if (names == nullptr || SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr) != 1) {
    if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
    problem = {"ca_file", "no CA certificate in '" + o.ca_file + "': " + take_openssl_reason()};
    return false;
  }
  SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  int mode = SSL_VERIFY_PEER;
  if (o.require_client_certificate) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx, mode, nullptr);
  return true;
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> TlsContext::build(const ListenerTlsOptions& options,
                                                              TlsProblem* problem) {
  TlsProblem ignored;
  TlsProblem& p = problem != nullptr ? *problem : ignored;
  ERR_clear_error();
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_min_proto_version(ctx, options.min_version == ListenerTlsOptions::Version::Tls13
                                         ? TLS1_3_VERSION
                                         : TLS1_2_VERSION);
  // Session resumption with client certificates needs a context id (else OpenSSL refuses to
  // resume a verified session).
  static constexpr unsigned char kSessionContext[] = "edge-gateway";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  if (!load_identity(ctx, options, p)) return fail(std::errc::invalid_argument);
  if (!options.ca_file.empty() && !load_client_cas(ctx, options, p)) {
    return fail(std::errc::invalid_argument);
  }
  if (!options.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, options.ciphers.c_str()) != 1) {
    p = {"ciphers", "'" + options.ciphers + "': " + take_openssl_reason()};
    return fail(std::errc::invalid_argument);
  }
  return context;
}

Result<std::shared_ptr<TlsContext>> TlsContext::create(ListenerTlsOptions options,
                                                       TlsProblem* problem) {
  GW_TRY(context, build(options, problem));
  return std::make_shared<TlsContext>(std::move(options), std::move(context));
}

TlsContext::TlsContext(ListenerTlsOptions options, std::shared_ptr<asio::ssl::context> context)
    : options_(std::move(options)), current_(std::move(context)) {}

void TlsContext::replace(ListenerTlsOptions options, std::shared_ptr<asio::ssl::context> context) {
  options_ = std::move(options);
  current_ = std::move(context);
}

Result<void> TlsContext::reload(TlsProblem* problem) {
  GW_TRY(context, build(options_, problem));
  current_ = std::move(context);
  return {};
}

}  // namespace gw::broker::net

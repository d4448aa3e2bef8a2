#include "broker/net/tls_context.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <asio/ssl/context.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace gw::broker::net {

namespace {

// The last failure in OpenSSL's error queue, which is left empty so that the next call does not
// report a stale error.
unsigned long last_error() {
  unsigned long last = 0;
  while (const unsigned long e = ERR_get_error()) last = e;
  return last;
}

// OpenSSL's reason for an error ("no start line", "bad decrypt").
std::string reason_text(unsigned long e) {
  if (e == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(e);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(e);
}

std::string openssl_reason() { return reason_text(last_error()); }

// A readable file, or why not, before OpenSSL's less helpful "system lib".
bool readable(const std::string& path, const char* key, TlsProblem& problem) {
  std::ifstream in(path, std::ios::binary);
  if (in) return true;
  problem = {key, "cannot read '" + path + "': " + std::strerror(errno)};
  return false;
}

// The password of an encrypted key. Always installed while the key is read, so that OpenSSL never
// falls back to prompting on a terminal.
int key_password(char* buf, int size, int /*rwflag*/, void* user) {
  const auto* password = static_cast<const std::string*>(user);
  if (password == nullptr || password->empty() || password->size() > static_cast<std::size_t>(size)) {
    return 0;
  }
  std::memcpy(buf, password->data(), password->size());
  return static_cast<int>(password->size());
}

// The server certificate, its key, and whether they belong together.
bool load_identity(SSL_CTX* ctx, const ListenerTlsOptions& o, TlsProblem& problem) {
  if (!readable(o.cert_file, "cert_file", problem)) return false;
  if (SSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()) != 1) {
    problem = {"cert_file", "no certificate in '" + o.cert_file + "': " + openssl_reason()};
    return false;
  }
  const std::string& key_file = o.key_file.empty() ? o.cert_file : o.key_file;
  const char* key_key = o.key_file.empty() ? "cert_file" : "key_file";
  if (!readable(key_file, key_key, problem)) return false;
  SSL_CTX_set_default_passwd_cb(ctx, key_password);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, const_cast<std::string*>(&o.key_password));
  const int loaded = SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM);
  // The options outlive this call but not the context: the password is needed only now.
  SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
  const unsigned long error = loaded == 1 ? 0 : last_error();
  // OpenSSL compares the key with the certificate while loading it.
  if (loaded != 1 && ERR_GET_REASON(error) == X509_R_KEY_VALUES_MISMATCH) {
    problem = {key_key, "the private key in '" + key_file + "' does not belong to the certificate in '" +
                            o.cert_file + "'"};
    return false;
  }
  if (loaded != 1) {
    const std::string reason = reason_text(error);
    problem = {o.key_password.empty() ? key_key : "key_password",
               "cannot load the private key from '" + key_file + "': " + reason +
                   (o.key_password.empty() ? " (an encrypted key needs key_password)" : "")};
    return false;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    openssl_reason();
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
    problem = {"ca_file", "no CA certificate in '" + o.ca_file + "': " + openssl_reason()};
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
    p = {"ciphers", "'" + options.ciphers + "': " + openssl_reason()};
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

// broker::net OpenSSL helpers shared by the broker's TLS listeners (tls_context) and the bridge's
// TLS client (gateway/bridge/uplink_tls): readable reasons for OpenSSL's errors, a file check
// before OpenSSL's less helpful "system lib", and loading a private key without ever prompting.
//
// Thread safety: OpenSSL's error queue is per thread; the functions may be called from any thread.
#pragma once

#include <optional>
#include <string>

#include <openssl/ssl.h>

namespace gw::broker::net {

// The last failure in this thread's OpenSSL error queue, 0 when it is empty. Empties the queue,
// so that the next call does not report a stale error.
unsigned long take_openssl_error();
// OpenSSL's reason for error `e` ("no start line", "bad decrypt").
std::string openssl_reason_text(unsigned long e);
// take_openssl_error()'s reason.
inline std::string take_openssl_reason() { return openssl_reason_text(take_openssl_error()); }

// Why `path` cannot be read ("cannot read 'x': No such file or directory"); nullopt when it can.
std::optional<std::string> unreadable(const std::string& path);

// SSL_CTX_use_PrivateKey_file for a PEM key, with `password` for an encrypted one. A password
// callback is always in place while the key is read, so OpenSSL never prompts on a terminal; it is
// removed afterwards (the password need not outlive the call). Returns OpenSSL's result (1: loaded).
int use_private_key_file(SSL_CTX* ctx, const std::string& key_file, const std::string& password);

}  // namespace gw::broker::net

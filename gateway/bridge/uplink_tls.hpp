// bridge::UplinkTls: the client side of TLS for NativeUplink's mqtts:// servers, built from
// TlsOptions the way the Paho Uplink has Paho build it (gateway/bridge/uplink.cpp), so that both
// clients accept and refuse the same servers:
//
//   TlsOptions        Paho (MQTTAsync_SSLOptions)     here
//   ca_file           trustStore                      SSL_CTX_load_verify_locations; empty: the
//                                                     system's default trust store
//   cert_file         keyStore                        SSL_CTX_use_certificate_chain_file
//   key_file          privateKey (empty: keyStore)    SSL_CTX_use_PrivateKey_file (empty: cert_file)
//   key_password      privateKeyPassword              the context's password callback
//   verify_peer       enableServerCertAuth            SSL_VERIFY_PEER, else SSL_VERIFY_NONE
//   verify_hostname   verify                          after the handshake, before CONNECT: the
//                                                     certificate names the URI's host as a DNS
//                                                     name (X509_check_host) or an IP address
//                                                     (X509_check_ip_asc), even with verify_peer off
//
// Also: SNI names the URI's host (not for an IP address, RFC 6066 §3), TLS 1.2 at least.
//
//   UplinkTlsProblem problem;
//   auto context = make_uplink_tls_context(options.tls, problem);  // once per connect
//   // after the handshake: certificate_names_host(stream.native_handle(), host)
//
// Thread safety: free functions; a context is used by one NativeUplink's I/O thread.
#pragma once

#include <memory>
#include <string>
#include <system_error>

#include <asio/ssl/context.hpp>

#include "core/result.hpp"
#include "gateway/bridge/bridge_options.hpp"

namespace gw::bridge {

// Builds a client context. Reads the files (milliseconds). Errors: std::errc::invalid_argument
// with `problem` saying which file and why ("cannot load the private key from 'k.pem': bad
// decrypt").
Result<std::unique_ptr<asio::ssl::context>> make_uplink_tls_context(const TlsOptions& options,
                                                                    std::string& problem);

// Sets SNI on `ssl` to `host` unless it is an IP address. Errors: none (false when OpenSSL refuses
// the name, which then goes without SNI).
bool set_server_name(SSL* ssl, const std::string& host);

// Whether the peer certificate of `ssl` names `host` (a DNS name, matched against the
// subjectAltName DNS entries or, without any, the Common Name; or an IP address). False without a
// peer certificate.
bool certificate_names_host(SSL* ssl, const std::string& host);

// Why a handshake failed, for an operator: OpenSSL's reason and, when the server's chain was
// refused, the verification error ("certificate verify failed (self-signed certificate in
// certificate chain)"); "the server closed the connection" for an EOF.
std::string tls_failure(SSL* ssl, const std::error_code& ec);

}  // namespace gw::bridge

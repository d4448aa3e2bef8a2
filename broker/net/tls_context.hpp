// net::TlsContext: the OpenSSL server context of one TLS listener, built from its
// ListenerTlsOptions and rebuilt from the same files on reload().
//
//   auto tls = TlsContext::create(options.tls.value());   // at listener start
//   auto stream_ctx = (*tls)->current();                  // per accepted connection
//   (*tls)->reload();                                     // SIGHUP: new files for new connections
//
// A connection keeps the context it started with (shared_ptr), so a reload never disturbs
// established connections; a reload whose files do not load keeps the current context.
//
// Ownership: shared by the listener's accept callback and the Server (weakly, for reload).
// Thread safety: core thread only. Building a context reads files and runs OpenSSL's parsers on
// the calling thread (milliseconds, at start and on SIGHUP only).
#pragma once

#include <memory>
#include <string>

#include "broker/options.hpp"
#include "core/result.hpp"

namespace asio::ssl {
class context;
}

namespace gw::broker::net {

// Why a context could not be built: the option it came from ("cert_file", "key_file",
// "key_password", "ca_file", "ciphers") and OpenSSL's reason.
struct TlsProblem {
  std::string key;
  std::string message;
};

class TlsContext {
 public:
  // Builds a server context: certificate chain and key (which must match), client CAs and the
  // verify mode, minimum version, cipher list.
  // Errors: std::errc::invalid_argument, with `problem` (when given) saying which option and why.
  static Result<std::shared_ptr<asio::ssl::context>> build(const ListenerTlsOptions& options,
                                                           TlsProblem* problem = nullptr);

  // Errors: those of build().
  static Result<std::shared_ptr<TlsContext>> create(ListenerTlsOptions options,
                                                    TlsProblem* problem = nullptr);

  TlsContext(ListenerTlsOptions options, std::shared_ptr<asio::ssl::context> context);

  // The context new connections use.
  [[nodiscard]] const std::shared_ptr<asio::ssl::context>& current() const { return current_; }
  [[nodiscard]] const ListenerTlsOptions& options() const { return options_; }

  // Re-reads the files. On success new connections use the new context; on failure nothing
  // changes. Errors: those of build().
  Result<void> reload(TlsProblem* problem = nullptr);
  // New settings with their context (built by build() from them): a reload that changed the
  // listener's tls: section.
  void replace(ListenerTlsOptions options, std::shared_ptr<asio::ssl::context> context);

 private:
  ListenerTlsOptions options_;
  std::shared_ptr<asio::ssl::context> current_;
};

}  // namespace gw::broker::net

// gateway::MetricsServer: the HTTP endpoint Prometheus scrapes (`GET /metrics`) and
// `edge-gateway status` reads (`GET /status`), on the core io_context.
//
//   MetricsServer server(io, {.address = "127.0.0.1", .port = 9464},
//                        {{"/metrics", [&] { return Page{kPrometheusType, render()}; }}});
//   if (auto ok = server.start(); !ok) ...   // bound and listening, or the bind error
//
// HTTP/1.1 GET and HEAD only, one request per connection (`Connection: close`): a scrape every
// few seconds does not need more, and the whole server stays small enough to read in one sitting
// (an HTTP library would bring its own threads next to the core's). Every connection is bounded:
// the request head must arrive within kRequestTimeout and fit in kMaxRequestBytes, at most
// kMaxConnections are served at once (more are closed at accept), and a bad request gets its
// specific status (400, 404, 405, 431) instead of a hang.
//
// Ownership: owns its acceptor and connections; page functions run on the core thread.
// Thread safety: core thread only (start/stop from the thread running the io_context, or before
// it runs).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <asio/io_context.hpp>

#include "core/result.hpp"
#include "gateway/options.hpp"

namespace gw::gateway {

inline constexpr const char* kPrometheusType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr const char* kPlainType = "text/plain; charset=utf-8";

struct Page {
  std::string content_type;
  std::string body;
};

class MetricsServer {
 public:
  using Routes = std::map<std::string, std::function<Page()>, std::less<>>;
  static constexpr std::chrono::seconds kRequestTimeout{5};
  static constexpr std::size_t kMaxRequestBytes = 8 * 1024;
  static constexpr std::size_t kMaxConnections = 16;

  MetricsServer(asio::io_context& io, MetricsOptions options, Routes routes);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and starts accepting. Errors: the bind/listen error (e.g. address in use).
  Result<void> start();
  // Stops accepting and closes open connections.
  void stop();
  // The bound port (after start()).
  [[nodiscard]] std::uint16_t port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gw::gateway

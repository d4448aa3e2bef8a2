#include "gateway/status_cli.hpp"

#include <string>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <fmt/format.h>

namespace gw::gateway {
namespace {

using asio::ip::tcp;

constexpr int kExitOk = 0;
constexpr int kExitHttpError = 1;
constexpr int kExitNoEndpoint = 2;
constexpr int kExitNotRunning = 3;
constexpr std::size_t kMaxResponseBytes = 1024 * 1024;

// Where a client reaches a listener bound to `address`.
std::string reachable(const std::string& address) {
  if (address == "0.0.0.0") return "127.0.0.1";
  if (address == "::") return "::1";
  return address;
}

struct Exchange {
  std::error_code error;
  std::string response;
  bool timed_out = false;
};

Exchange get(const std::string& host, std::uint16_t port, std::string_view path,
             std::chrono::milliseconds timeout) {
  Exchange x;
  asio::io_context io;
  std::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    x.error = ec;
    return x;
  }
  tcp::socket socket(io);
  const std::string request = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nUser-Agent: edge-gateway\r\n\r\n",
      path, host.find(':') != std::string::npos ? "[" + host + "]" : host);
  socket.async_connect(tcp::endpoint(address, port), [&](std::error_code c) {
    if (c) {
      x.error = c;
      return;
    }
    asio::async_write(socket, asio::buffer(request), [&](std::error_code w, std::size_t) {
      if (w) {
        x.error = w;
        return;
      }
      asio::async_read(socket, asio::dynamic_buffer(x.response, kMaxResponseBytes),
                       [&](std::error_code r, std::size_t) {
                         if (r && r != asio::error::eof) x.error = r;
                       });
    });
  });
  io.run_for(timeout);
  if (!io.stopped()) {
    x.timed_out = true;
    std::error_code ignored;
    socket.close(ignored);
  }
  return x;
}

}  // namespace

int run_status_command(const config::Config& cfg, std::ostream& out, std::ostream& err,
                       std::chrono::milliseconds timeout) {
  const auto& m = cfg.metrics;
  if (!m.enabled) {
    err << "edge-gateway status: the configuration has no metrics endpoint; a running gateway "
           "answers `status` through it (metrics: {enabled: true})\n";
    return kExitNoEndpoint;
  }
  const std::string host = reachable(m.address);
  const std::string where =
      host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, m.port)
                                          : fmt::format("{}:{}", host, m.port);
  const Exchange x = get(host, m.port, "/status", timeout);
  if (x.timed_out) {
    err << "edge-gateway status: no answer from " << where << " within " << timeout.count()
        << " ms\n";
    return kExitNotRunning;
  }
  if (x.error) {
    err << "edge-gateway status: cannot reach the gateway at " << where << ": "
        << x.error.message() << " (is it running with this configuration?)\n";
    return kExitNotRunning;
  }
  const auto head_end = x.response.find("\r\n\r\n");
  const auto line_end = x.response.find("\r\n");
  if (head_end == std::string::npos || !x.response.starts_with("HTTP/1.")) {
    err << "edge-gateway status: " << where << " did not answer with HTTP\n";
    return kExitHttpError;
  }
  const std::string status_line = x.response.substr(0, line_end);
  if (status_line.find(" 200 ") == std::string::npos) {
    err << "edge-gateway status: " << where << " answered " << status_line << '\n';
    return kExitHttpError;
  }
  out << x.response.substr(head_end + 4);
  return kExitOk;
}

}  // namespace gw::gateway

#include "gateway/metrics_server.hpp"

#include <list>
#include <string_view>

#include <asio/ip/tcp.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <fmt/format.h>

#include "core/log.hpp"

namespace gw::gateway {
namespace {

using asio::ip::tcp;

struct Response {
  int status = 200;
  std::string reason = "OK";
  Page page;
  bool head = false;
  std::string extra_headers;
};

Response error_response(int status, std::string reason) {
  Response r;
  r.status = status;
  r.reason = reason;
  r.page = Page{kPlainType, fmt::format("{} {}\n", status, reason)};
  return r;
}

std::string serialise(const Response& r) {
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n"
      "Cache-Control: no-store\r\n{}\r\n",
      r.status, r.reason, r.page.content_type, r.page.body.size(), r.extra_headers);
  if (!r.head) out += r.page.body;
  return out;
}

}  // namespace

struct MetricsServer::Impl : std::enable_shared_from_this<Impl> {
  struct Connection {
    explicit Connection(asio::io_context& io) : socket(io), timer(io) {}
    tcp::socket socket;
    asio::steady_timer timer;
    std::string in;
    std::string out;
  };
  using ConnectionIt = std::list<Connection>::iterator;

  Impl(asio::io_context& i, MetricsOptions o, Routes r)
      : io(i), options(std::move(o)), routes(std::move(r)), acceptor(i),
        log(core::make_logger("metrics")) {}

  void accept() {
    acceptor.async_accept([self = shared_from_this()](std::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (ec) {
        // Out of file descriptors, say: pause instead of spinning the core thread.
        self->retry.expires_after(std::chrono::milliseconds(100));
        self->retry.async_wait([self](std::error_code e) {
          if (!e) self->accept();
        });
        return;
      }
      self->serve(std::move(socket));
      self->accept();
    });
  }

  void serve(tcp::socket socket) {
    if (connections.size() >= kMaxConnections) {
      std::error_code ignored;
      socket.close(ignored);
      return;
    }
    connections.emplace_front(io);
    const ConnectionIt c = connections.begin();
    c->socket = std::move(socket);
    c->timer.expires_after(kRequestTimeout);
    c->timer.async_wait([self = shared_from_this(), c](std::error_code ec) {
      if (ec) return;
      std::error_code ignored;
      c->socket.close(ignored);  // the pending read or write completes with an error
    });
    asio::async_read_until(
        c->socket, asio::dynamic_buffer(c->in, kMaxRequestBytes), "\r\n\r\n",
        [self = shared_from_this(), c](std::error_code ec, std::size_t) {
          if (ec == asio::error::not_found) {
            self->respond(c, error_response(431, "Request Header Fields Too Large"));
          } else if (ec) {
            self->close(c);
          } else {
            self->respond(c, self->handle(c->in));
          }
        });
  }

  Response handle(std::string_view request) const {
    const auto line_end = request.find("\r\n");
    const std::string_view line = request.substr(0, line_end);
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || !line.substr(sp2 + 1).starts_with("HTTP/1.")) {
      return error_response(400, "Bad Request");
    }
    const std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    target = target.substr(0, target.find('?'));
    const bool head = method == "HEAD";
    if (method != "GET" && !head) {
      Response r = error_response(405, "Method Not Allowed");
      r.extra_headers = "Allow: GET, HEAD\r\n";
      return r;
    }
    const auto route = routes.find(target);
    if (route == routes.end()) {
      Response r = error_response(404, "Not Found");
      r.head = head;
      return r;
    }
    Response r;
    r.page = route->second();
    r.head = head;
    return r;
  }

  void respond(ConnectionIt c, const Response& r) {
    c->out = serialise(r);
    asio::async_write(c->socket, asio::buffer(c->out),
                      [self = shared_from_this(), c](std::error_code, std::size_t) {
                        std::error_code ignored;
                        c->socket.shutdown(tcp::socket::shutdown_both, ignored);
                        self->close(c);
                      });
  }

  void close(ConnectionIt c) {
    // Called once per connection, from its read or write completion. The timer's handler may
    // still be queued: the element is erased by a handler posted after it.
    std::error_code ignored;
    c->timer.cancel();
    c->socket.close(ignored);
    asio::post(io, [self = shared_from_this(), c] { self->connections.erase(c); });
  }

  asio::io_context& io;
  MetricsOptions options;
  Routes routes;
  tcp::acceptor acceptor;
  asio::steady_timer retry{io};
  std::list<Connection> connections;
  std::shared_ptr<spdlog::logger> log;
};

MetricsServer::MetricsServer(asio::io_context& io, MetricsOptions options, Routes routes)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(routes))) {}

MetricsServer::~MetricsServer() { stop(); }

Result<void> MetricsServer::start() {
  std::error_code ec;
  const auto address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) return fail(ec);
  const tcp::endpoint endpoint(address, impl_->options.port);
  auto& a = impl_->acceptor;
  if (a.open(endpoint.protocol(), ec); ec) return fail(ec);
  if (a.set_option(tcp::acceptor::reuse_address(true), ec); ec) return fail(ec);
  if (address.is_v6()) {
    if (a.set_option(asio::ip::v6_only(true), ec); ec) return fail(ec);
  }
  if (a.bind(endpoint, ec); ec) {
    a.close();
    return fail(ec);
  }
  if (a.listen(asio::socket_base::max_listen_connections, ec); ec) {
    a.close();
    return fail(ec);
  }
  impl_->log->info("metrics: serving http://{}:{}/metrics and /status", impl_->options.address,
                   port());
  impl_->accept();
  return {};
}

void MetricsServer::stop() {
  std::error_code ignored;
  impl_->acceptor.close(ignored);
  impl_->retry.cancel();
  for (auto& c : impl_->connections) {
    c.timer.cancel();
    c.socket.close(ignored);
  }
}

std::uint16_t MetricsServer::port() const {
  std::error_code ec;
  const auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? std::uint16_t{0} : endpoint.port();
}

}  // namespace gw::gateway

#include "broker/server.hpp"

#include "broker/net/tcp_connection.hpp"

namespace gw::broker {

Server::Server(asio::io_context& io, BrokerOptions options, core::Clock& clock)
    : io_(io),
      broker_(io, std::move(options), clock),
      read_buffer_(std::make_shared<net::SharedReadBuffer>()) {}

Server::~Server() { stop(); }

Result<void> Server::start() {
  for (const auto& opts : broker_.options().listeners) {
    auto listener = net::TcpListener::open(io_, opts, [this](asio::ip::tcp::socket socket) {
      auto connection = std::make_shared<net::TcpConnection>(std::move(socket), read_buffer_);
      auto handler = broker_.accept(*connection);
      if (!handler) {
        connection->abort();
        return;
      }
      connection->start(std::move(handler));
    });
    if (!listener) {
      broker_.log().error("cannot listen on {}:{}: {}", opts.address, opts.port,
                          listener.error().message());
      listeners_.clear();
      return Failure{listener.error()};
    }
    broker_.log().info("listening on {}{}", (*listener)->name(),
                       opts.name.empty() ? "" : " (" + opts.name + ")");
    listeners_.push_back(std::move(*listener));
  }
  return {};
}

void Server::stop() {
  for (auto& l : listeners_) l->stop();
}

std::vector<std::uint16_t> Server::ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& l : listeners_) out.push_back(l->port());
  return out;
}

}  // namespace gw::broker

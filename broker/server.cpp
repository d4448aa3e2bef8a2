#include "broker/server.hpp"

#include <algorithm>

#include "broker/auth/password_file.hpp"
#include "broker/net/tcp_connection.hpp"
#include "broker/net/ws_transport.hpp"

namespace gw::broker {

Server::Server(asio::io_context& io, BrokerOptions options, core::Clock& clock)
    : io_(io),
      broker_(io, std::move(options), clock),
      read_buffer_(std::make_shared<net::SharedReadBuffer>()) {}

Server::~Server() { stop(); }

Result<std::unique_ptr<net::TcpListener>> Server::open(const ListenerOptions& opts) {
  // This listener's connection count (listeners[].max_connections), shared with its connections.
  auto slot = std::make_shared<ListenerSlot>(ListenerSlot{
      .name = opts.name.empty() ? opts.address + ":" + std::to_string(opts.port) : opts.name,
      .max_connections = opts.max_connections});
  auto listener = net::TcpListener::open(
      io_, opts, [this, slot, ws = opts.websocket](asio::ip::tcp::socket socket) {
    auto connection = std::make_shared<net::TcpConnection>(std::move(socket), read_buffer_);
    auto handler =
        ws ? websocket_handler(*connection, *ws, slot) : broker_.accept(*connection, slot);
    if (!handler) {
      connection->abort();
      return;
    }
    connection->start(std::move(handler));
  });
  if (!listener) {
    broker_.log().error("cannot listen on {}:{}: {}", opts.address, opts.port,
                        listener.error().message());
    return Failure{listener.error()};
  }
  broker_.log().info("listening on {}{}{}", (*listener)->name(),
                     opts.name.empty() ? "" : " (" + opts.name + ")",
                     opts.websocket ? " for MQTT over WebSocket at " + opts.websocket->path : "");
  return listener;
}

std::unique_ptr<net::StreamHandler> Server::websocket_handler(
    net::Transport& transport, const WebSocketOptions& ws, std::shared_ptr<ListenerSlot> slot) {
  auto layer = std::make_unique<net::WsTransport>(
      io_.get_executor(), transport, ws, broker_.options().max_packet_size, unmask_buffer_,
      [this](net::WsTransport::FailureKind kind, const std::string& peer, std::string_view why) {
        broker_.on_websocket_failure(kind == net::WsTransport::FailureKind::Handshake, peer, why);
      });
  auto handler = broker_.accept(*layer, std::move(slot));
  if (!handler) return nullptr;
  layer->start(std::move(handler));
  return layer;
}

Result<void> Server::reload_users(const std::string& password_file) {
  std::vector<auth::PasswordFileError> errors;
  auto users = auth::load_password_file(password_file, &errors);
  if (!users) {
    for (const auto& e : errors) {
      broker_.log().error("password file {}:{}: {}", password_file, e.line, e.message);
    }
    if (errors.empty()) {
      broker_.log().error("cannot read the password file {}: {}", password_file,
                          users.error().message());
    }
    return Failure{users.error()};
  }
  broker_.log().info("{} user(s) from {}", users->size(), password_file);
  broker_.set_users(std::move(*users));
  return {};
}

Result<void> Server::start() {
  if (const auto& file = broker_.options().password_file; !file.empty()) {
    GW_TRY_VOID(reload_users(file));
  }
  for (const auto& opts : broker_.options().listeners) {
    auto listener = open(opts);
    if (!listener) {
      listeners_.clear();
      listener_options_.clear();
      return Failure{listener.error()};
    }
    listeners_.push_back(std::move(*listener));
    listener_options_.push_back(opts);
  }
  return {};
}

Result<void> Server::reload_listeners(const std::vector<ListenerOptions>& wanted) {
  std::vector<std::unique_ptr<net::TcpListener>> next;
  std::vector<bool> kept(listeners_.size(), false);
  for (const auto& opts : wanted) {
    const auto it = std::find(listener_options_.begin(), listener_options_.end(), opts);
    if (it != listener_options_.end() && !kept[static_cast<std::size_t>(it - listener_options_.begin())]) {
      const auto i = static_cast<std::size_t>(it - listener_options_.begin());
      kept[i] = true;
      next.push_back(nullptr);  // placeholder: moved over once nothing can fail any more
      continue;
    }
    auto listener = open(opts);
    if (!listener) return Failure{listener.error()};  // `next` closes what this call opened
    next.push_back(std::move(*listener));
  }
  // Commit: the kept listeners move over, the rest close.
  std::size_t k = 0;
  for (std::size_t w = 0; w < wanted.size(); ++w) {
    if (next[w]) continue;
    while (listener_options_[k] != wanted[w] || !kept[k]) ++k;
    next[w] = std::move(listeners_[k]);
    kept[k] = false;  // taken
    k = 0;
  }
  for (auto& l : listeners_) {
    if (l) {
      broker_.log().info("no longer listening on {}", l->name());
      l->stop();
    }
  }
  listeners_ = std::move(next);
  listener_options_ = wanted;
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

#include "broker/server.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

#include "broker/auth/password_file.hpp"
#include "broker/line_throttle.hpp"
#include "broker/net/tcp_connection.hpp"
#include "broker/net/tls_connection.hpp"
#include "broker/net/ws_transport.hpp"

namespace gw::broker {

Server::Server(asio::io_context& io, BrokerOptions options, core::Clock& clock)
    : io_(io), broker_(io, std::move(options), clock) {}

Server::~Server() { stop(); }

template <class Connection>
void Server::serve(const std::shared_ptr<Connection>& connection,
                   const std::optional<WebSocketOptions>& ws,
                   const std::shared_ptr<ListenerSlot>& slot) {
  auto handler = ws ? websocket_handler(*connection, *ws, slot) : broker_.accept(*connection, slot);
  if (!handler) {
    connection->abort();
    return;
  }
  connection->start(std::move(handler));
}

net::TcpListener::OnAccept Server::accept_tcp(std::optional<WebSocketOptions> ws,
                                             std::shared_ptr<ListenerSlot> slot) {
  return [this, ws = std::move(ws), slot = std::move(slot)](net::Accepted accepted) {
    serve(net::TcpConnection::create(std::move(accepted), *reactor_), ws, slot);
  };
}

net::TcpListener::OnAccept Server::accept_tls(std::shared_ptr<net::TlsContext> tls,
                                             std::optional<WebSocketOptions> ws,
                                             std::shared_ptr<ListenerSlot> slot) {
  return [this, tls = std::move(tls), ws = std::move(ws),
          slot = std::move(slot)](net::Accepted accepted) {
    serve(std::make_shared<net::TlsConnection>(
              std::move(accepted), tls->current(), tls->options().identity_as_username,
              [this](const std::string& peer, const std::string& reason) {
                broker_.on_tls_handshake_failed(peer, reason);
              }),
          ws, slot);
  };
}

Result<std::unique_ptr<net::TcpListener>> Server::open(const ListenerOptions& opts) {
  // The plain TCP connections' event set, made with the first listener.
  if (!reactor_) {
    auto reactor = net::TcpReactor::create(io_);
    if (!reactor) {
      broker_.log().error("cannot create the TCP event set: {}", reactor.error().message());
      return Failure{reactor.error()};
    }
    reactor_ = std::move(*reactor);
  }
  std::shared_ptr<net::TlsContext> tls;
  if (opts.tls) {
    net::TlsProblem problem;
    auto context = net::TlsContext::create(*opts.tls, &problem);
    if (!context) {
      broker_.log().error("cannot listen on {}:{}: tls.{}: {}", opts.address, opts.port,
                          problem.key, problem.message);
      return Failure{context.error()};
    }
    tls = std::move(*context);
  }
  // This listener's connection count (listeners[].max_connections), shared with its connections.
  auto slot = std::make_shared<ListenerSlot>(ListenerSlot{
      .name = opts.name.empty() ? opts.address + ":" + std::to_string(opts.port) : opts.name,
      .max_connections = opts.max_connections});
  auto listener = net::TcpListener::open(
      io_, opts, tls ? accept_tls(tls, opts.websocket, slot) : accept_tcp(opts.websocket, slot),
      tls ? net::TcpListener::Mode::Asio : net::TcpListener::Mode::Raw);
  if (!listener) {
    broker_.log().error("cannot listen on {}:{}: {}", opts.address, opts.port,
                        listener.error().message());
    return Failure{listener.error()};
  }
  broker_.log().info("listening on {}{}{}{}", (*listener)->name(), tls ? " with TLS" : "",
                     opts.name.empty() ? "" : " (" + opts.name + ")",
                     opts.websocket ? " for MQTT over WebSocket at " + opts.websocket->path : "");
  if (tls) tls_listeners_.push_back({tls, (*listener)->name()});
  // One warning a minute at most: near the descriptor limit, clients that come and go can make
  // the listener fail and recover many times a second.
  struct TroubleLog {
    LineThrottle lines;
    bool logged = false;  // this failure was logged: its end is too
  };
  (*listener)->on_trouble([this, name = (*listener)->name(), log = std::make_shared<TroubleLog>()](
                              std::error_code ec) {
    if (!ec) {
      if (log->logged) broker_.log().info("listener {}: accepting connections again", name);
      log->logged = false;
      return;
    }
    const auto held_back = log->lines.admit(broker_.clock().steady());
    if (!held_back) return;
    broker_.log().warn("listener {}: cannot accept connections: {}; retrying every {} ms ({} time(s) "
                       "since the last line)",
                       name, ec.message(), net::TcpListener::kRetry.count(), *held_back + 1);
    log->logged = true;
  });
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

std::size_t Server::reload_tls() {
  std::erase_if(tls_listeners_, [](const TlsListener& l) { return l.context.expired(); });
  std::size_t failed = 0;
  for (const auto& l : tls_listeners_) {
    const auto context = l.context.lock();
    net::TlsProblem problem;
    if (context->reload(&problem)) {
      broker_.log().info("TLS listener {}: certificate files reloaded", l.name);
      continue;
    }
    ++failed;
    broker_.on_tls_reload_failed();
    broker_.log().error("TLS listener {}: reload failed, the previous certificate stays in use: "
                        "tls.{}: {}",
                        l.name, problem.key, problem.message);
  }
  return failed;
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
  std::vector<TlsChange> tls_changes;
  for (const auto& opts : wanted) {
    const auto it = std::find(listener_options_.begin(), listener_options_.end(), opts);
    if (it != listener_options_.end() && !kept[static_cast<std::size_t>(it - listener_options_.begin())]) {
      const auto i = static_cast<std::size_t>(it - listener_options_.begin());
      kept[i] = true;
      next.push_back(nullptr);  // placeholder: moved over once nothing can fail any more
      continue;
    }
    // Only its TLS settings changed: the listener keeps its socket (a second one could not bind
    // the same port) and gets a new context when the reload commits.
    if (auto change = tls_change(opts, kept)) {
      if (!*change) return Failure{change->error()};
      kept[(*change)->index] = true;
      tls_changes.push_back(std::move(**change));
      next.push_back(nullptr);
      continue;
    }
    auto listener = open(opts);
    if (!listener) return Failure{listener.error()};  // `next` closes what this call opened
    next.push_back(std::move(*listener));
  }
  // Commit: the kept listeners move over (with their new TLS settings), the rest close.
  for (auto& c : tls_changes) {
    for (const auto& t : tls_listeners_) {
      const auto context = t.context.lock();
      if (context && t.name == listeners_[c.index]->name()) {
        context->replace(*c.options.tls, std::move(c.context));
        broker_.log().info("TLS listener {}: new TLS settings", t.name);
      }
    }
    listener_options_[c.index] = std::move(c.options);
  }
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

std::optional<Result<Server::TlsChange>> Server::tls_change(const ListenerOptions& opts,
                                                             const std::vector<bool>& kept) {
  if (!opts.tls) return std::nullopt;
  for (std::size_t i = 0; i < listener_options_.size(); ++i) {
    ListenerOptions same_tls = listener_options_[i];
    if (kept[i] || !same_tls.tls) continue;
    same_tls.tls = opts.tls;
    if (same_tls != opts) continue;
    net::TlsProblem problem;
    auto context = net::TlsContext::build(*opts.tls, &problem);
    if (!context) {
      broker_.log().error("TLS listener {}: new TLS settings not applied: tls.{}: {}",
                          listeners_[i]->name(), problem.key, problem.message);
      return Result<TlsChange>{Failure{context.error()}};
    }
    return Result<TlsChange>{TlsChange{i, opts, std::move(*context)}};
  }
  return std::nullopt;
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

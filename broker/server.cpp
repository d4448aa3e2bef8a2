#include "broker/server.hpp"

#include <algorithm>

#include "broker/auth/password_file.hpp"
#include "broker/net/tcp_connection.hpp"
#include "broker/net/tls_connection.hpp"

namespace gw::broker {

Server::Server(asio::io_context& io, BrokerOptions options, core::Clock& clock)
    : io_(io),
      broker_(io, std::move(options), clock),
      read_buffer_(std::make_shared<net::SharedReadBuffer>()) {}

Server::~Server() { stop(); }

template <class Connection>
void Server::serve(const std::shared_ptr<Connection>& connection) {
  auto handler = broker_.accept(*connection);
  if (!handler) {
    connection->abort();
    return;
  }
  connection->start(std::move(handler));
}

net::TcpListener::OnAccept Server::accept_tcp() {
  return [this](asio::ip::tcp::socket socket) {
    serve(std::make_shared<net::TcpConnection>(std::move(socket), read_buffer_));
  };
}

net::TcpListener::OnAccept Server::accept_tls(std::shared_ptr<net::TlsContext> tls) {
  return [this, tls = std::move(tls)](asio::ip::tcp::socket socket) {
    serve(std::make_shared<net::TlsConnection>(
        std::move(socket), tls->current(), tls->options().identity_as_username,
        [this](const std::string& peer, const std::string& reason) {
          broker_.on_tls_handshake_failed(peer, reason);
        }));
  };
}

Result<std::unique_ptr<net::TcpListener>> Server::open(const ListenerOptions& opts) {
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
  auto listener = net::TcpListener::open(io_, opts, tls ? accept_tls(tls) : accept_tcp());
  if (!listener) {
    broker_.log().error("cannot listen on {}:{}: {}", opts.address, opts.port,
                        listener.error().message());
    return Failure{listener.error()};
  }
  broker_.log().info("listening on {}{}{}", (*listener)->name(), tls ? " with TLS" : "",
                     opts.name.empty() ? "" : " (" + opts.name + ")");
  if (tls) tls_listeners_.push_back({tls, (*listener)->name()});
  return listener;
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

// broker::Server: the broker with its listeners — what the gateway starts from BrokerOptions.
//
// Ownership: owns the Broker, the listeners and the TCP reactor; connections own themselves (see
// TcpConnection).
// Thread safety: core thread only; construct, start() and stop() there.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "broker/broker.hpp"
#include "broker/net/tcp_connection.hpp"
#include "broker/net/tcp_listener.hpp"
#include "broker/net/tls_context.hpp"
#include "broker/options.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"

namespace gw::broker {

class Server {
 public:
  Server(asio::io_context& io, BrokerOptions options, core::Clock& clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the password file when one is configured, then opens every configured listener and
  // logs "listening on ADDRESS:PORT" for each.
  // Errors: those of reload_users(); those of TcpListener::open for the first listener that
  // fails (none stay open then).
  Result<void> start();
  // Closes the listeners; established connections are left to the io_context's shutdown.
  void stop();

  // Configuration reload: keeps the listeners that are in `wanted` unchanged, opens the new ones
  // and closes the ones no longer wanted. Established connections stay, whatever listener
  // accepted them. All or nothing: when a new listener cannot be opened, the ones opened by
  // this call are closed again and the old set stays as it was.
  // Errors: those of TcpListener::open.
  Result<void> reload_listeners(const std::vector<ListenerOptions>& wanted);

  // (Re-)reads the password file and hands its users to the broker. On any error (unreadable
  // file, bad lines: each logged with its line number) the users in force stay as they were.
  Result<void> reload_users(const std::string& password_file);

  [[nodiscard]] Broker& broker() { return broker_; }
  // Bound ports, in configuration order (the kernel's choice for port 0).
  [[nodiscard]] std::vector<std::uint16_t> ports() const;

  // Certificate reload (SIGHUP): every TLS listener re-reads its certificate, key and CA files;
  // new connections use them, established ones keep theirs. A listener whose files no longer
  // load keeps its current ones; that is logged with the reason and counted
  // (BrokerStats::tls_reload_failures). Returns the number of listeners that failed.
  std::size_t reload_tls();

 private:
  asio::io_context& io_;
  Broker broker_;
  Result<std::unique_ptr<net::TcpListener>> open(const ListenerOptions& opts);

  std::vector<std::unique_ptr<net::TcpListener>> listeners_;
  std::vector<ListenerOptions> listener_options_;  // parallel to listeners_

  // MQTT over WebSocket: the broker's handler for a connection on `transport`, wrapped in a
  // WebSocket layer that becomes the handler `transport` reports to. Whatever `transport` is
  // (TCP, TLS), the layer composes over it. nullptr when the broker refuses the connection.
  // `slot` counts the connection against its listener's max_connections.
  std::unique_ptr<net::StreamHandler> websocket_handler(net::Transport& transport,
                                                        const WebSocketOptions& ws,
                                                        std::shared_ptr<ListenerSlot> slot);
  // Scratch for unmasking WebSocket frames, shared like the TCP read buffer.
  std::shared_ptr<net::SharedReadBuffer> unmask_buffer_ = std::make_shared<net::SharedReadBuffer>();
  // Listener factory step: what an accepted socket becomes, by the listener's options.
  net::TcpListener::OnAccept accept_tcp(std::optional<WebSocketOptions> ws,
                                        std::shared_ptr<ListenerSlot> slot);
  net::TcpListener::OnAccept accept_tls(std::shared_ptr<net::TlsContext> tls,
                                        std::optional<WebSocketOptions> ws,
                                        std::shared_ptr<ListenerSlot> slot);
  // Hands a new connection to the broker (or refuses it) and starts it; with `ws`, through a
  // WebSocket layer over it. `slot` counts it against its listener's max_connections.
  template <class Connection>
  void serve(const std::shared_ptr<Connection>& connection,
             const std::optional<WebSocketOptions>& ws, const std::shared_ptr<ListenerSlot>& slot);
  // The TLS contexts of the open listeners, for reload_tls(); a closed listener's entry expires.
  struct TlsListener {
    std::weak_ptr<net::TlsContext> context;
    std::string name;
  };
  std::vector<TlsListener> tls_listeners_;
  // reload_listeners(): a listener whose options differ from `opts` only in their TLS settings
  // (and that is not kept already), with a context built from the new settings; nullopt when
  // there is none. Errors: those of TlsContext::build (logged).
  struct TlsChange {
    std::size_t index;
    ListenerOptions options;
    std::shared_ptr<asio::ssl::context> context;
  };
  std::optional<Result<TlsChange>> tls_change(const ListenerOptions& opts,
                                              const std::vector<bool>& kept);

  // The epoll set of the plain TCP connections (and their shared read buffer), made by start().
  // Declared last: destroyed first, it aborts its connections while the broker can still take
  // their on_closed().
  std::unique_ptr<net::TcpReactor> reactor_;
};

}  // namespace gw::broker

// net::TcpListener: accepts TCP connections on one address and hands each socket to a callback.
// On each readiness of the listening socket it accepts everything the kernel has queued (up to
// kMaxAcceptsPerWake, so a connection storm does not starve the rest of the loop), rather than
// one connection per wake-up: a burst of connects costs one wait, not one per connection.
//
// Ownership: owned by the broker Server; stop() or destruction closes the acceptor.
// Thread safety: core thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "broker/net/stream_connection.hpp"
#include "broker/options.hpp"
#include "core/result.hpp"

namespace gw::broker::net {

class TcpListener {
 public:
  // Gets the new socket with the peer's address (as accept() returned it).
  using OnAccept = std::function<void(Accepted)>;
  static constexpr int kMaxAcceptsPerWake = 64;

  // Binds and listens. Errors: std::errc::invalid_argument for an address that is not an IP
  // literal, and the system's error (address in use, permission denied, ...) from bind/listen.
  static Result<std::unique_ptr<TcpListener>> open(asio::io_context& io,
                                                   const ListenerOptions& options,
                                                   OnAccept on_accept);

  // The bound port: the configured one, or the one the kernel chose for port 0.
  [[nodiscard]] std::uint16_t port() const { return port_; }
  // "address:port" as bound, for logs.
  [[nodiscard]] const std::string& name() const { return name_; }
  void stop();

  TcpListener(asio::io_context& io, asio::ip::tcp::acceptor acceptor, OnAccept on_accept);
  ~TcpListener() { stop(); }
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

 private:
  void accept();
  // Accepts what is queued; the error that stopped it, other than "nothing more queued".
  std::error_code accept_queued();

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  OnAccept on_accept_;
  std::uint16_t port_ = 0;
  std::string name_;
  // Shared with pending accepts so that a callback arriving after destruction does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gw::broker::net

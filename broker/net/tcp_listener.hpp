// net::TcpListener: accepts TCP connections on one address and hands each socket to a callback.
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

#include "broker/options.hpp"
#include "core/result.hpp"

namespace gw::broker::net {

class TcpListener {
 public:
  using OnAccept = std::function<void(asio::ip::tcp::socket)>;

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

  TcpListener(asio::ip::tcp::acceptor acceptor, OnAccept on_accept);
  ~TcpListener() { stop(); }
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

 private:
  void accept();

  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  OnAccept on_accept_;
  std::uint16_t port_ = 0;
  std::string name_;
  // Shared with pending accepts so that a callback arriving after destruction does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gw::broker::net

// net::TcpListener: accepts TCP connections on one address and hands each socket to a callback.
// On each readiness of the listening socket it accepts everything the kernel has queued (up to
// kMaxAcceptsPerWake, so a connection storm does not starve the rest of the loop), rather than
// one connection per wake-up: a burst of connects costs one wait, not one per connection.
//
// It accepts with accept4() (non-blocking, close-on-exec) and hands each connection over in one
// of two forms. Asio (the default): as an asio socket (Accepted::socket), for the TLS
// connections, which live on asio's reactor. Raw: as the bare descriptor (Accepted::fd), for the
// plain TCP connections, which live on the broker's own epoll set: no registration with asio's
// reactor to undo, and no separate call to make the socket non-blocking (three system calls fewer
// per connection). A connection that failed while it waited in the queue (reset, network error)
// is skipped, as accept(2) advises, and counts towards the wake-up's limit.
//
// Ownership: owned by the broker Server; stop() or destruction closes the acceptor.
// Thread safety: core thread only.
#pragma once

#include <chrono>
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

  // How an accepted connection is handed over (see above).
  enum class Mode : std::uint8_t { Asio, Raw };

  // Binds and listens; `mode` says how connections are handed over. Errors:
  // std::errc::invalid_argument for an address that is not an IP literal, and the system's error
  // (address in use, permission denied, ...) from bind/listen.
  static Result<std::unique_ptr<TcpListener>> open(asio::io_context& io,
                                                   const ListenerOptions& options,
                                                   OnAccept on_accept, Mode mode = Mode::Asio);

  // Told when accepting stops working while a connection waits (`ec` set: EMFILE, ENFILE,
  // ENOBUFS...; the listener retries every kRetry) and when it works again (`ec` clear): once
  // each, not once per retry. Like on_accept, it may stop() the listener, not destroy it.
  using OnTrouble = std::function<void(std::error_code ec)>;
  static constexpr std::chrono::milliseconds kRetry{100};
  void on_trouble(OnTrouble f) { on_trouble_ = std::move(f); }

  // The bound port: the configured one, or the one the kernel chose for port 0.
  [[nodiscard]] std::uint16_t port() const { return port_; }
  // "address:port" as bound, for logs.
  [[nodiscard]] const std::string& name() const { return name_; }
  void stop();

  TcpListener(asio::io_context& io, asio::ip::tcp::acceptor acceptor, OnAccept on_accept,
              Mode mode = Mode::Asio);
  ~TcpListener() { stop(); }
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

 private:
  void accept();
  // Accepts what is queued; the error that stopped it, other than "nothing more queued".
  std::error_code accept_queued();
  enum class Outcome : std::uint8_t { Taken, Skipped, Empty };
  // One connection from the queue. Errors: the system's (EMFILE, ENFILE, ENOBUFS, ENOMEM...).
  Result<Outcome> accept_one();

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  OnAccept on_accept_;
  OnTrouble on_trouble_;
  bool failing_ = false;  // the last wake-up ended in an error (on_trouble_ was told)
  Mode mode_;
  asio::ip::tcp protocol_ = asio::ip::tcp::v4();  // the listening socket's (and so the accepted ones')
  std::uint16_t port_ = 0;
  std::string name_;
  // Shared with pending accepts so that a callback arriving after destruction does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gw::broker::net

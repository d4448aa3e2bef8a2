// net::Transport: a byte stream to one client, as the protocol layer sees it, and
// net::StreamHandler: what the transport reports upwards. TCP implements it today; TLS and
// WebSocket transports will implement the same pair, so the protocol layer never knows which.
//
// The transport never parses bytes; the handler never touches sockets (STYLE: net/ vs protocol/).
//
// Thread safety: core thread only.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <system_error>

namespace gw::broker::net {

class Transport {
 public:
  virtual ~Transport() = default;
  // Queues bytes. Everything queued during one pass of the event loop leaves in one write.
  // Ignored after close().
  virtual void write(std::span<const std::byte> bytes) = 0;
  // Sends what is queued, then shuts the connection down. The handler's on_closed() follows.
  virtual void close() = 0;
  // Closes at once, dropping anything queued (a misbehaving peer, a takeover).
  virtual void abort() = 0;
  // Bytes queued and not yet written: the protocol layer stops sending to a slow reader when this
  // grows past its limit.
  [[nodiscard]] virtual std::size_t pending_bytes() const = 0;
  // "address:port" of the peer, for logs.
  [[nodiscard]] virtual const std::string& peer() const = 0;
  // The peer's address without the port ("192.0.2.7", "::1"), for per-address limits.
  [[nodiscard]] virtual const std::string& peer_address() const = 0;
  // The peer is on this machine (127.0.0.0/8, ::1, or an IPv4-mapped loopback address).
  [[nodiscard]] virtual bool peer_is_loopback() const = 0;
  // The user name a verified client certificate carries, when the listener takes the identity
  // from the certificate (ListenerTlsOptions::identity_as_username); nullopt otherwise, and
  // always for transports without TLS. A transport that wraps another forwards the inner one's.
  [[nodiscard]] virtual std::optional<std::string> tls_identity() const { return std::nullopt; }

  // Back-pressure: set_reading(false) stops reading from the peer (its bytes stay in the
  // kernel, and TCP's flow control slows the sender down) until set_reading(true). Writing goes
  // on meanwhile; close() reads again (it waits for the peer's FIN). A transport that wraps
  // another forwards it.
  virtual void set_reading(bool on) { (void)on; }

  // Gives back the memory kept for the next write while nothing is being written. The protocol
  // layer calls it once per tick, so that a connection that has gone quiet holds no write buffer
  // (most connections write a CONNACK and then little or nothing) while a busy one reallocates
  // at most once per tick. A transport that wraps another forwards it.
  virtual void release_idle_buffers() {}
};

class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  // Bytes arrived; the handler consumes them all (it keeps partial packets itself).
  virtual void on_data(std::span<const std::byte> data) = 0;
  // The stream ended (peer closed, I/O error, or after close()/abort()). Called exactly once;
  // the transport does not call the handler again afterwards.
  virtual void on_closed(std::error_code ec) = 0;
  // A write completed: pending_bytes() went down. A wrapping transport forwards it.
  virtual void on_written() {}
};

}  // namespace gw::broker::net

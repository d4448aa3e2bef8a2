// net::TcpConnection: one accepted TCP client, a StreamConnection over a plain socket. Waits for
// readability, reads into the read buffer shared by all connections of the core thread and hands
// the bytes to its StreamHandler at once, so an idle connection holds no read buffer of its own;
// writes are queued and leave as one write per loop pass (TCP_NODELAY is on, so batching is
// ours, not Nagle's). close() ends with a FIN and waits for the peer's.
//
// Ownership: shared_ptr, kept alive by its own pending asynchronous operations; owns its handler.
// Thread safety: core thread only (the io_context that runs the broker).
#pragma once

#include <memory>

#include <asio/ip/tcp.hpp>

#include "broker/net/shared_read_buffer.hpp"
#include "broker/net/stream_connection.hpp"

namespace gw::broker::net {

class TcpConnection final : public StreamConnection<Socket> {
 public:
  TcpConnection(Accepted accepted, std::shared_ptr<SharedReadBuffer> read_buffer);
  // A socket accepted elsewhere (an asio::ip::tcp::socket of an io_context).
  TcpConnection(asio::ip::tcp::socket socket, std::shared_ptr<SharedReadBuffer> read_buffer)
      : TcpConnection(adopt(std::move(socket)), std::move(read_buffer)) {}
  ~TcpConnection() override;

 private:
  void read() override;
  void shutdown_send() override;

  std::shared_ptr<SharedReadBuffer> read_buffer_;
};

}  // namespace gw::broker::net

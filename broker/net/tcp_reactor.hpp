// net::TcpReactor: the broker's own readiness loop for plain TCP connections. One epoll set holds
// every accepted plain TCP socket; the io_context sees only the epoll descriptor, with one
// pending wait for all of them. asio's reactor keeps 176 bytes of state per registered socket and
// a heap operation per pending wait (288 bytes per idle connection); here a socket costs nothing
// in user space beyond its connection (the registration is the kernel's).
//
// When the epoll descriptor is readable the reactor takes up to kMaxEvents ready sockets
// (epoll_wait with no timeout) and hands each its events; while a batch found any, the next one
// runs at the next loop pass (posted), so other work interleaves; when one finds none it waits
// again. The sockets are level-triggered: data left unread (a read per event, back-pressure)
// shows up in the next batch.
//
// A connection that is removed while a batch is being handed out (closed by an earlier event in
// the same batch, or by its own handler) has its remaining events in the batch dropped, so that
// no event reaches a connection that may be gone.
//
// It also holds the read buffer the connections share (SharedReadBuffer): each read is handed to
// its handler before the next one lands.
//
// Ownership: owned by the Server (or a test); every connection it holds is finished (aborted)
// when it is destroyed, so none outlives it registered. Connections refer to it, not the
// reverse: it keeps them in an intrusive list only to finish them.
// Thread safety: core thread only (the io_context that runs the broker).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <system_error>

#include <sys/epoll.h>

#include <asio/io_context.hpp>
#include <asio/posix/basic_stream_descriptor.hpp>

#include "broker/net/shared_read_buffer.hpp"
#include "core/result.hpp"

namespace gw::broker::net {

class TcpConnection;

class TcpReactor {
 public:
  static constexpr int kMaxEvents = 64;

  // Errors: the system's error from epoll_create1 (EMFILE, ENFILE, ENOMEM).
  static Result<std::unique_ptr<TcpReactor>> create(asio::io_context& io);
  ~TcpReactor();
  TcpReactor(const TcpReactor&) = delete;
  TcpReactor& operator=(const TcpReactor&) = delete;

  // Registers `connection`'s socket for `events` (EPOLLIN, EPOLLOUT). Errors: the system's error
  // from epoll_ctl (ENOMEM, ENOSPC when fs.epoll.max_user_watches is reached).
  std::error_code add(int fd, TcpConnection& connection, std::uint32_t events);
  // Changes what the socket is watched for. Errors: as add().
  std::error_code modify(int fd, TcpConnection& connection, std::uint32_t events);
  // Forgets the socket (before it is closed) and the connection's events not yet handed out.
  void remove(int fd, TcpConnection& connection);

  [[nodiscard]] SharedReadBuffer& read_buffer() { return read_buffer_; }
  [[nodiscard]] asio::io_context::executor_type executor() { return epoll_.get_executor(); }
  // Connections registered (tests).
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  using Descriptor = asio::posix::basic_stream_descriptor<asio::io_context::executor_type>;
  TcpReactor(asio::io_context& io, int epoll_fd);
  void wait();
  void run_batch();

  Descriptor epoll_;
  std::array<epoll_event, kMaxEvents> events_{};
  int batch_size_ = 0;  // events_ being handed out, 0 outside a batch
  TcpConnection* first_ = nullptr;  // the registered connections, linked through each
  std::size_t size_ = 0;
  SharedReadBuffer read_buffer_;
  // Shared with the pending wait and a posted batch: they do nothing once the reactor is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  friend class TcpConnection;  // links itself into first_
};

}  // namespace gw::broker::net

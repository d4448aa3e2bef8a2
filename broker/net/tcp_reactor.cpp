#include "broker/net/tcp_reactor.hpp"

#include <cerrno>

#include <unistd.h>

#include <asio/post.hpp>

#include "broker/net/tcp_connection.hpp"
#include "core/check.hpp"

namespace gw::broker::net {

namespace {

std::error_code last_error() { return {errno, std::system_category()}; }

}  // namespace

Result<std::unique_ptr<TcpReactor>> TcpReactor::create(asio::io_context& io) {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return fail(last_error());
  // Not make_unique: the constructor is private.
  std::unique_ptr<TcpReactor> reactor(new TcpReactor(io, fd));
  reactor->wait();
  return reactor;
}

TcpReactor::TcpReactor(asio::io_context& io, int epoll_fd) : epoll_(io, epoll_fd) {}

TcpReactor::~TcpReactor() {
  *alive_ = false;
  // Each abort() removes the connection from the list (and may run its handler's on_closed).
  while (first_ != nullptr) first_->abort();
  std::error_code ignored;
  epoll_.close(ignored);
}

std::error_code TcpReactor::add(int fd, TcpConnection& connection, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &connection;
  if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0) return last_error();
  connection.prev_ = nullptr;
  connection.next_ = first_;
  if (first_ != nullptr) first_->prev_ = &connection;
  first_ = &connection;
  ++size_;
  return {};
}

std::error_code TcpReactor::modify(int fd, TcpConnection& connection, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &connection;
  if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_MOD, fd, &ev) != 0) return last_error();
  return {};
}

void TcpReactor::remove(int fd, TcpConnection& connection) {
  // Before close(): a descriptor duplicated elsewhere (fork) would otherwise stay registered.
  epoll_event ignored{};
  ::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_DEL, fd, &ignored);
  for (int i = 0; i < batch_size_; ++i) {
    if (events_[static_cast<std::size_t>(i)].data.ptr == &connection) {
      events_[static_cast<std::size_t>(i)].data.ptr = nullptr;
    }
  }
  if (connection.prev_ != nullptr) {
    connection.prev_->next_ = connection.next_;
  } else {
    GW_CHECK(first_ == &connection);
    first_ = connection.next_;
  }
  if (connection.next_ != nullptr) connection.next_->prev_ = connection.prev_;
  connection.prev_ = connection.next_ = nullptr;
  --size_;
}

void TcpReactor::wait() {
  epoll_.async_wait(Descriptor::wait_read, [this, alive = alive_](std::error_code ec) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    // Any other error of a wait on an epoll descriptor is impossible; a batch finds out.
    run_batch();
  });
}

void TcpReactor::run_batch() {
  const int n = ::epoll_wait(epoll_.native_handle(), events_.data(), kMaxEvents, 0);
  if (n <= 0) {
    // Nothing ready (or EINTR): every socket that becomes ready from now on wakes the wait.
    wait();
    return;
  }
  batch_size_ = n;
  for (int i = 0; i < n; ++i) {
    const epoll_event ev = events_[static_cast<std::size_t>(i)];
    // Null: its connection was removed by an earlier event of this batch.
    if (ev.data.ptr != nullptr) static_cast<TcpConnection*>(ev.data.ptr)->on_ready(ev.events);
  }
  batch_size_ = 0;
  // More may be ready (a full batch, data left unread): look again at the next loop pass rather
  // than now, so that timers and other sockets get their turn.
  asio::post(epoll_.get_executor(), [this, alive = alive_] {
    if (*alive) run_batch();
  });
}

}  // namespace gw::broker::net

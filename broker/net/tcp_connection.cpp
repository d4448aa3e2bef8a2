#include "broker/net/tcp_connection.hpp"

#include <algorithm>
#include <cerrno>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/error.hpp>
#include <asio/post.hpp>

#include "core/check.hpp"

namespace gw::broker::net {

// One TcpConnection per idle connection: docs/performance.md "Per-connection memory". 136 bytes
// plus make_shared's 16-byte control block is a 160-byte malloc chunk (glibc, 64-bit); a field
// that crosses it costs 16 bytes per connection.
static_assert(sizeof(void*) != 8 || sizeof(TcpConnection) <= 136,
              "TcpConnection grew past 136 bytes");

namespace {

std::error_code last_error() { return {errno, std::system_category()}; }

bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

}  // namespace

TcpConnection::TcpConnection(Key, Accepted accepted, TcpReactor& reactor)
    : reactor_(reactor), peer_endpoint_(accepted.peer), peer_known_(accepted.peer_known) {
  const int one = 1;
  if (accepted.fd.get() >= 0) {
    fd_ = accepted.fd.release();  // non-blocking already, and on no reactor
  } else {
    std::error_code ec;
    fd_ = accepted.socket.release(ec);  // deregisters it from asio's reactor
    GW_CHECK(!ec);                        // an open socket of this process
    // Reads and writes happen after readiness; never block the core thread.
    GW_CHECK(::ioctl(fd_, FIONBIO, &one) == 0);
  }
  // Best effort: latency, not correctness. Batching is ours (one write per loop pass).
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

TcpConnection::~TcpConnection() {
  // Still open only when never finished (never started, or aborted before its first pass).
  if (fd_ >= 0) {
    if (registered_) reactor_.remove(fd_, *this);
    ::close(fd_);
  }
}

void TcpConnection::start(std::unique_ptr<StreamHandler> handler) {
  handler_ = std::move(handler);
  if (finished_) return;
  const std::uint8_t wanted = wanted_interest();
  if (const auto ec = reactor_.add(fd_, *this, events(wanted)); ec) {
    finish(ec);  // the system's watch limit: the client sees its connection closed
    return;
  }
  registered_ = true;
  interest_ = wanted;
}

void TcpConnection::on_ready(std::uint32_t events) {
  // The reactor drops the events of a connection removed during their batch.
  GW_CHECK(registered_ && !finished_);
  if ((interest_ & kOut) != 0 && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) {
    send_pending();  // an error ends the connection there
    if (finished_) return;
  }
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) == 0) return;
  if ((interest_ & kIn) != 0) {
    read_once();
    return;
  }
  // Paused: a bare EPOLLIN (from before the pause, in the same batch) is data for later.
  if ((events & (EPOLLERR | EPOLLHUP)) == 0) return;
  // Paused, and the socket failed or both directions are closed: reported whatever the
  // interest, and again at every batch until handled. The connection is over.
  int error = 0;
  socklen_t size = sizeof error;
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size);
  finish(error != 0 ? std::error_code(error, std::system_category())
                    : std::error_code(asio::error::eof));
}

void TcpConnection::read_once() {
  auto& buffer = reactor_.read_buffer().bytes;
  const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
  if (n < 0) {
    if (would_block(errno) || errno == EINTR) return;  // spurious: wait again
    finish(last_error());
    return;
  }
  if (n == 0) {
    finish(asio::error::eof);
    return;
  }
  // After close() input is drained and discarded until the peer's FIN: closing with unread
  // input would send RST and could destroy our last packets (a CONNACK or DISCONNECT with the
  // reason) in flight.
  if (!closing_) {
    handler_->on_data(std::span<const std::byte>(buffer.data(), static_cast<std::size_t>(n)));
  }
}

void TcpConnection::set_reading(bool on) {
  read_paused_ = !on;
  if (!finished_) update_interest();
}

std::uint8_t TcpConnection::wanted_interest() const {
  return static_cast<std::uint8_t>((read_paused_ ? 0 : kIn) |
                                   (batch_end_ > sent_ ? kOut : 0));
}

std::uint32_t TcpConnection::events(std::uint8_t interest) {
  return ((interest & kIn) != 0 ? EPOLLIN : 0U) | ((interest & kOut) != 0 ? EPOLLOUT : 0U);
}

void TcpConnection::update_interest() {
  if (!registered_) return;  // start() registers what is wanted then
  const std::uint8_t wanted = wanted_interest();
  if (wanted == interest_) return;
  if (const auto ec = reactor_.modify(fd_, *this, events(wanted)); ec) {
    finish(ec);
    return;
  }
  interest_ = wanted;
}

void TcpConnection::release_idle_buffers() {
  // Not while a send is unfinished or bytes wait for one.
  if (!out_.empty()) return;
  // A new empty vector, not `= {}`: that assigns an empty initializer_list and keeps the capacity.
  out_ = std::vector<std::byte>();
}

void TcpConnection::write(std::span<const std::byte> bytes) {
  if (closing_ || finished_) return;
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  schedule_flush();
}

void TcpConnection::schedule_flush() {
  if (flush_scheduled_ || batch_end_ != 0) return;
  flush_scheduled_ = true;
  // Deferred to the end of this loop pass so that every packet produced in it (responses to a
  // whole read, a fan-out to this subscriber) leaves in one write.
  asio::post(reactor_.executor(), [self = self_] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

void TcpConnection::flush() {
  if (finished_ || batch_end_ != 0) return;
  if (out_.empty()) {
    // Everything is out: end our side and wait (within close()'s deadline) for the peer's end;
    // reading finishes when it arrives.
    if (closing_) ::shutdown(fd_, SHUT_WR);
    return;
  }
  batch_end_ = static_cast<std::uint32_t>(std::min(out_.size(), kMaxBatch));
  send_pending();
}

void TcpConnection::send_pending() {
  while (sent_ < batch_end_) {
    const ssize_t n = ::send(fd_, out_.data() + sent_, batch_end_ - sent_, MSG_NOSIGNAL);
    if (n >= 0) {
      sent_ += static_cast<std::uint32_t>(n);  // at most batch_end_ - sent_
      continue;
    }
    if (errno == EINTR) continue;
    if (would_block(errno)) {
      update_interest();  // the rest goes out on EPOLLOUT
      return;
    }
    const auto ec = last_error();
    out_.clear();
    sent_ = batch_end_ = 0;
    finish(ec);
    return;
  }
  if (out_.size() > batch_end_) {
    // Queued while this batch was being sent: the next batch.
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(batch_end_));
  } else if (out_.capacity() > kKeepWriteCapacity) {
    out_ = std::vector<std::byte>();  // a burst's buffer is not kept by a connection gone quiet
  } else {
    out_.clear();
  }
  sent_ = batch_end_ = 0;
  update_interest();  // no more EPOLLOUT
  if (finished_) return;
  flush();  // what was queued meanwhile, or the FIN after close()
  if (!finished_ && handler_) handler_->on_written();
}

void TcpConnection::close() {
  if (closing_ || finished_) return;
  closing_ = true;
  set_reading(true);  // the peer's FIN must be seen
  if (finished_) return;  // the interest change failed and ended the connection
  // One deadline for the whole close, started now: a peer that stops reading (zero window)
  // would otherwise hold the connection, its slot and its unsent bytes forever.
  // Created only now: a connection spends almost all its life without needing it.
  auto& linger = rare().linger.emplace(reactor_.executor(), kCloseDeadline);
  linger.async_wait([self = self_](std::error_code ec) {
    if (!ec) self->finish({});
  });
  // At the end of this pass, like any write: what the caller queues with its close leaves first.
  schedule_flush();
}

void TcpConnection::abort() {
  out_.clear();
  sent_ = batch_end_ = 0;
  finish({});
}

void TcpConnection::finish(std::error_code ec) {
  if (finished_) return;
  finished_ = true;
  if (registered_) {
    reactor_.remove(fd_, *this);
    registered_ = false;
  }
  ::close(fd_);
  fd_ = -1;
  interest_ = 0;
  if (rare_ && rare_->linger) rare_->linger->cancel();
  // The handler is told once; it is destroyed with this connection when the last reference
  // lets go of it: the hold is released at the next loop pass, since the caller may be running
  // inside this connection (or its handler).
  if (handler_) handler_->on_closed(ec);
  if (self_) asio::post(reactor_.executor(), [hold = std::move(self_)] {});
}

const PeerInfo& TcpConnection::described() const {
  auto& r = rare();
  if (!r.peer) r.peer.emplace(describe_peer(peer_endpoint_, peer_known_));
  return *r.peer;
}

}  // namespace gw::broker::net

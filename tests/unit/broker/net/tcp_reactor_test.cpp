// TcpReactor and TcpConnection on it against real loopback peers: a send the kernel does not
// take at once finishes on EPOLLOUT, pausing takes the socket out of the read interest, a
// connection closed by an earlier event of the same batch gets no event, the peer's FIN and
// reset end the connection (paused or not), and destroying the reactor ends what it holds.
#include "broker/net/tcp_reactor.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>
#include <gtest/gtest.h>

#include "broker/net/tcp_connection.hpp"

namespace gw::broker::net {
namespace {

using namespace std::chrono_literals;

struct Recorder final : StreamHandler {
  void on_data(std::span<const std::byte> d) override {
    received += d.size();
    if (on_data_hook) on_data_hook();
  }
  void on_closed(std::error_code ec) override {
    ++closed;
    close_error = ec;
  }
  void on_written() override { ++writes; }
  std::size_t received = 0;
  int writes = 0;
  int closed = 0;
  std::error_code close_error;
  std::function<void()> on_data_hook;
};

// A handler that reports to a Recorder the test owns, for connections the test lets go of.
struct Forwarder final : StreamHandler {
  explicit Forwarder(Recorder& r) : to(r) {}
  void on_data(std::span<const std::byte> d) override { to.on_data(d); }
  void on_closed(std::error_code ec) override { to.on_closed(ec); }
  void on_written() override { to.on_written(); }
  Recorder& to;
};

// A loopback peer and our connection to it, started on the reactor.
struct Link {
  asio::ip::tcp::socket peer;
  std::shared_ptr<TcpConnection> conn;
  Recorder* recorder = nullptr;
};

struct Fixture {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  std::unique_ptr<TcpReactor> reactor = std::move(TcpReactor::create(io).value());

  // With `outside`, the connection reports to it (the test may let the connection go).
  Link connect(bool small_receive_buffer = false, Recorder* outside = nullptr) {
    Link l{asio::ip::tcp::socket(io), nullptr, nullptr};
    l.peer.open(asio::ip::tcp::v4());
    if (small_receive_buffer) l.peer.set_option(asio::socket_base::receive_buffer_size(4096));
    l.peer.connect(acceptor.local_endpoint());
    l.conn = TcpConnection::create(acceptor.accept(), *reactor);
    if (outside != nullptr) {
      l.recorder = outside;
      l.conn->start(std::make_unique<Forwarder>(*outside));
      return l;
    }
    auto r = std::make_unique<Recorder>();
    l.recorder = r.get();
    l.conn->start(std::move(r));
    return l;
  }
  template <class F>
  bool run_until(F done, std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (!done() && std::chrono::steady_clock::now() < end) io.run_for(10ms);
    return done();
  }
  // Runs whatever is ready now, several passes (a batch posts its successor), without waiting.
  void drain_ready() {
    for (int i = 0; i < 20; ++i) io.poll();
  }
};

void send(asio::ip::tcp::socket& s, std::size_t n) {
  const std::vector<std::byte> bytes(n, std::byte{0x42});
  asio::write(s, asio::buffer(bytes));
}

TEST(TcpReactor, APartialSendFinishesOnEpollOutAndCompletesOnce) {
  Fixture f;
  auto l = f.connect(true);
  const std::size_t size = 16 * 1024 * 1024;  // more than loopback takes unread
  std::vector<std::byte> out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::byte>(i % 251);
  l.conn->write(out);
  ASSERT_TRUE(f.run_until([&] { return l.conn->pending_bytes() < size; }, 5s));
  f.drain_ready();
  EXPECT_GT(l.conn->pending_bytes(), 0U);  // the kernel took part: the rest waits for EPOLLOUT
  EXPECT_EQ(l.recorder->writes, 0);        // not completed yet
  std::vector<std::byte> in(64 * 1024);
  std::size_t n = 0;
  bool order_ok = true;
  std::error_code ec;
  const auto end = std::chrono::steady_clock::now() + 20s;
  while (n < size && !ec && std::chrono::steady_clock::now() < end) {
    f.io.poll();
    if (l.peer.available(ec) == 0) continue;
    const std::size_t got = l.peer.read_some(asio::buffer(in), ec);
    for (std::size_t i = 0; i < got; ++i) order_ok = order_ok && in[i] == out[n + i];
    n += got;
  }
  EXPECT_EQ(n, size);
  EXPECT_TRUE(order_ok);
  ASSERT_TRUE(f.run_until([&] { return l.recorder->writes == 1; }, 5s));
  EXPECT_EQ(l.conn->pending_bytes(), 0U);
  f.drain_ready();
  EXPECT_EQ(l.recorder->writes, 1);
}

TEST(TcpReactor, APausedConnectionReadsNothingUntilResumed) {
  Fixture f;
  auto l = f.connect();
  EXPECT_TRUE(l.conn->read_armed());
  l.conn->set_reading(false);
  EXPECT_FALSE(l.conn->read_armed());
  send(l.peer, 5);
  f.drain_ready();
  EXPECT_EQ(l.recorder->received, 0U);  // the bytes wait in the kernel
  l.conn->set_reading(true);
  EXPECT_TRUE(l.conn->read_armed());
  EXPECT_TRUE(f.run_until([&] { return l.recorder->received == 5; }, 5s));
}

TEST(TcpReactor, AConnectionClosedEarlierInTheBatchGetsNoEvent) {
  Recorder ra;  // before the fixture: the reactor's end reports to them
  Recorder rb;
  Fixture f;
  auto a = f.connect(false, &ra);
  auto b = f.connect(false, &rb);
  // Whichever is handed its data first aborts the other, whose event is then in the same batch.
  std::weak_ptr<TcpConnection> weak_a = a.conn;
  std::weak_ptr<TcpConnection> weak_b = b.conn;
  a.recorder->on_data_hook = [&] { if (auto other = weak_b.lock()) other->abort(); };
  b.recorder->on_data_hook = [&] { if (auto other = weak_a.lock()) other->abort(); };
  a.conn.reset();  // only the connections hold themselves now
  b.conn.reset();
  send(a.peer, 3);
  send(b.peer, 3);
  ASSERT_TRUE(f.run_until([&] { return a.recorder->closed + b.recorder->closed >= 1; }, 5s));
  f.drain_ready();
  EXPECT_EQ(a.recorder->received + b.recorder->received, 3U);  // exactly one read its data
  EXPECT_EQ(a.recorder->closed + b.recorder->closed, 1);        // the other was closed, once
  EXPECT_EQ(f.reactor->size(), 1U);
  EXPECT_TRUE(weak_a.expired() || weak_b.expired());  // the aborted one is gone
}

TEST(TcpReactor, ThePeersFinEndsTheConnection) {
  Fixture f;
  auto l = f.connect();
  send(l.peer, 4);
  l.peer.shutdown(asio::ip::tcp::socket::shutdown_send);
  ASSERT_TRUE(f.run_until([&] { return l.recorder->closed == 1; }, 5s));
  EXPECT_EQ(l.recorder->received, 4U);
  EXPECT_EQ(l.recorder->close_error, asio::error::eof);
  EXPECT_EQ(f.reactor->size(), 0U);
}

TEST(TcpReactor, APausedConnectionWhosePeerResetsIsClosed) {
  Fixture f;
  auto l = f.connect();
  l.conn->set_reading(false);
  l.peer.set_option(asio::socket_base::linger(true, 0));  // close() sends RST
  l.peer.close();
  ASSERT_TRUE(f.run_until([&] { return l.recorder->closed == 1; }, 5s));
  EXPECT_TRUE(l.recorder->close_error);
  EXPECT_EQ(f.reactor->size(), 0U);
}

TEST(TcpReactor, DestroyingTheReactorEndsItsConnections) {
  Fixture f;
  auto l = f.connect();
  EXPECT_EQ(f.reactor->size(), 1U);
  f.reactor.reset();
  EXPECT_EQ(l.recorder->closed, 1);
  // The peer sees the end.
  std::vector<char> in(16);
  std::error_code ec;
  l.peer.read_some(asio::buffer(in), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
}

}  // namespace
}  // namespace gw::broker::net

// TcpConnection against a real loopback peer.
#include "broker/net/tcp_connection.hpp"

#include <chrono>
#include <vector>

#include <asio/write.hpp>
#include <asio/io_context.hpp>
#include <gtest/gtest.h>

namespace gw::broker::net {
namespace {

using namespace std::chrono_literals;

struct Recorder final : StreamHandler {
  void on_data(std::span<const std::byte> d) override { received += d.size(); }
  void on_closed(std::error_code) override { closed = true; }
  void on_written() override { ++writes; }
  std::size_t received = 0;
  int writes = 0;  // completed writes
  bool closed = false;
};

struct Pair {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  asio::ip::tcp::socket peer{io};
  std::unique_ptr<TcpReactor> reactor = std::move(TcpReactor::create(io).value());
  std::shared_ptr<TcpConnection> conn;
  Recorder* recorder = nullptr;

  explicit Pair(bool small_receive_buffer = false) {
    peer.open(asio::ip::tcp::v4());
    if (small_receive_buffer) peer.set_option(asio::socket_base::receive_buffer_size(4096));
    peer.connect(acceptor.local_endpoint());
    conn = TcpConnection::create(acceptor.accept(), *reactor);
    auto r = std::make_unique<Recorder>();
    recorder = r.get();
    conn->start(std::move(r));
  }
  // Runs the loop until `done` or the deadline; returns `done()`.
  template <class F>
  bool run_until(F done, std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (!done() && std::chrono::steady_clock::now() < end) io.run_for(10ms);
    return done();
  }
};

TEST(TcpConnection, DeliversWhatThePeerSends) {
  Pair p;
  const char hello[] = "hello";
  asio::write(p.peer, asio::buffer(hello, 5));
  EXPECT_TRUE(p.run_until([&] { return p.recorder->received == 5; }, 5s));
}

TEST(TcpConnection, IdleBuffersAreReleasedOnlyWhenNothingIsBeingWritten) {
  Pair p(true);
  const std::vector<std::byte> small(1000, std::byte{0x42});
  p.conn->write(small);
  ASSERT_TRUE(p.run_until([&] { return p.recorder->writes == 1; }, 5s));
  EXPECT_GT(p.conn->write_capacity(), 0U);  // kept for the next write...
  p.conn->release_idle_buffers();
  EXPECT_EQ(p.conn->write_capacity(), 0U);  // ...until the connection is idle at a tick

  // A write the peer does not read yet stays in flight: its buffer is not touched. (Larger than
  // loopback's autotuned send and receive buffers together, so it cannot complete unread.)
  const std::vector<std::byte> big(32 * 1024 * 1024, std::byte{0x43});
  p.conn->write(big);
  ASSERT_TRUE(p.run_until([&] { return p.conn->pending_bytes() < big.size(); }, 5s));
  ASSERT_GT(p.conn->pending_bytes(), 0U);
  p.conn->release_idle_buffers();
  EXPECT_GE(p.conn->write_capacity(), big.size());
  // Everything still arrives, in order.
  std::vector<std::byte> in(64 * 1024);
  std::size_t n = 0;
  bool order_ok = true;
  std::error_code ec;
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (n < small.size() + big.size() && !ec && std::chrono::steady_clock::now() < end) {
    p.io.poll();
    if (p.peer.available(ec) == 0) continue;
    const std::size_t got = p.peer.read_some(asio::buffer(in), ec);
    for (std::size_t i = 0; i < got; ++i) {
      const auto want = n + i < small.size() ? std::byte{0x42} : std::byte{0x43};
      order_ok = order_ok && in[i] == want;
    }
    n += got;
  }
  EXPECT_EQ(n, small.size() + big.size());
  EXPECT_TRUE(order_ok);
  // A burst's buffer (over 64 KiB) is not kept once written, tick or not.
  ASSERT_TRUE(p.run_until([&] { return p.recorder->writes == 2; }, 5s));
  EXPECT_EQ(p.conn->write_capacity(), 0U);
}

TEST(TcpConnection, CloseFlushesThenEndsWhenThePeerCloses) {
  Pair p;
  const std::vector<std::byte> bytes(1000, std::byte{0x42});
  p.conn->write(bytes);
  p.conn->close();
  std::vector<char> in(2000);
  std::error_code ec;
  std::size_t n = 0;
  while (!ec) {
    p.io.poll();
    n += p.peer.read_some(asio::buffer(in), ec);
  }
  EXPECT_EQ(n, 1000U);  // everything queued before close() arrived, then our FIN
  p.peer.close();
  EXPECT_TRUE(p.run_until([&] { return p.recorder->closed; }, 5s));
}

TEST(TcpConnection, CloseTowardsAPeerThatNeverReadsEndsAtTheDeadline) {
  Pair p(true);
  const std::vector<std::byte> big(8 * 1024 * 1024);
  p.conn->write(big);
  p.io.run_for(100ms);
  p.conn->close();
  EXPECT_TRUE(p.run_until([&] { return p.recorder->closed; },
                          TcpConnection::kCloseDeadline + 2s))
      << p.conn->pending_bytes() << " bytes still pinned";
}

}  // namespace
}  // namespace gw::broker::net

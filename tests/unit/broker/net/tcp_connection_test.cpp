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
  std::size_t received = 0;
  bool closed = false;
};

struct Pair {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  asio::ip::tcp::socket peer{io};
  std::shared_ptr<TcpConnection> conn;
  Recorder* recorder = nullptr;

  explicit Pair(bool small_receive_buffer = false) {
    peer.open(asio::ip::tcp::v4());
    if (small_receive_buffer) peer.set_option(asio::socket_base::receive_buffer_size(4096));
    peer.connect(acceptor.local_endpoint());
    conn = std::make_shared<TcpConnection>(acceptor.accept(), std::make_shared<SharedReadBuffer>());
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

// TcpListener against real loopback clients: a burst of connects queued before the loop runs is
// accepted in full (more than one readiness event's worth), each with the peer's own address.
#include "broker/net/tcp_listener.hpp"

#include <chrono>
#include <map>
#include <vector>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include "broker/net/tcp_connection.hpp"

namespace gw::broker::net {
namespace {

using namespace std::chrono_literals;

struct Listening {
  asio::io_context io;
  std::vector<Accepted> accepted;
  std::unique_ptr<TcpListener> listener;

  Listening() {
    ListenerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    auto opened = TcpListener::open(io, options, [this](Accepted a) { accepted.push_back(std::move(a)); });
    EXPECT_TRUE(opened.has_value());
    if (opened) listener = std::move(*opened);
  }
  [[nodiscard]] asio::ip::tcp::endpoint endpoint() const {
    return {asio::ip::make_address("127.0.0.1"), listener->port()};
  }
  template <class F>
  bool run_until(F done, std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (!done() && std::chrono::steady_clock::now() < end) io.run_for(10ms);
    return done();
  }
};

TEST(TcpListener, AcceptsABurstLargerThanOneWakeUpWithEachPeersAddress) {
  Listening l;
  ASSERT_NE(l.listener, nullptr);
  // Connected before the loop runs: all of them wait in the kernel's queue at once.
  constexpr std::size_t kClients = 3 * TcpListener::kMaxAcceptsPerWake + 5;
  asio::io_context client_io;
  std::vector<asio::ip::tcp::socket> clients;
  std::map<std::uint16_t, bool> ports;
  for (std::size_t i = 0; i < kClients; ++i) {
    clients.emplace_back(client_io);
    clients.back().connect(l.endpoint());
    ports[clients.back().local_endpoint().port()] = false;
  }
  ASSERT_TRUE(l.run_until([&] { return l.accepted.size() == kClients; }, 10s))
      << l.accepted.size() << " of " << kClients << " accepted";
  for (const auto& a : l.accepted) {
    EXPECT_TRUE(a.peer_known);
    EXPECT_EQ(a.peer.address(), asio::ip::make_address("127.0.0.1"));
    auto it = ports.find(a.peer.port());
    ASSERT_NE(it, ports.end()) << "unknown peer port " << a.peer.port();
    EXPECT_FALSE(it->second) << "port " << a.peer.port() << " accepted twice";
    it->second = true;
  }
}

TEST(TcpListener, StopEndsAccepting) {
  Listening l;
  ASSERT_NE(l.listener, nullptr);
  const auto endpoint = l.endpoint();
  l.listener->stop();
  asio::ip::tcp::socket client(l.io);
  std::error_code ec;
  client.connect(endpoint, ec);
  EXPECT_TRUE(ec) << "the port still accepts after stop()";
  l.io.run_for(50ms);
  EXPECT_TRUE(l.accepted.empty());
}

TEST(TcpConnection, NamesItsPeerFromTheAcceptedAddress) {
  Listening l;
  ASSERT_NE(l.listener, nullptr);
  asio::ip::tcp::socket client(l.io);
  client.connect(l.endpoint());
  ASSERT_TRUE(l.run_until([&] { return l.accepted.size() == 1; }, 5s));
  const auto port = client.local_endpoint().port();
  auto reactor = TcpReactor::create(l.io);
  ASSERT_TRUE(reactor);
  const auto conn = TcpConnection::create(std::move(l.accepted.front()), **reactor);
  EXPECT_EQ(conn->peer(), "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(conn->peer_address(), "127.0.0.1");
  EXPECT_TRUE(conn->peer_is_loopback());
  conn->abort();
}

TEST(PeerInfo, NamesIpv6WithBracketsAndIpv4MappedAsIpv4) {
  const auto v6 = describe_peer({asio::ip::make_address("2001:db8::7"), 5000});
  EXPECT_EQ(v6.peer, "[2001:db8::7]:5000");
  EXPECT_EQ(v6.address, "2001:db8::7");
  EXPECT_FALSE(v6.loopback);
  const auto mapped = describe_peer({asio::ip::make_address("::ffff:127.0.0.1"), 80});
  EXPECT_EQ(mapped.peer, "[::ffff:127.0.0.1]:80");
  EXPECT_EQ(mapped.address, "127.0.0.1");
  EXPECT_TRUE(mapped.loopback);
  EXPECT_TRUE(is_loopback({asio::ip::make_address("::ffff:127.0.0.1"), 80}));
  EXPECT_TRUE(is_loopback({asio::ip::make_address("::1"), 80}));
  EXPECT_FALSE(is_loopback({asio::ip::make_address("192.0.2.7"), 80}));
  const auto unknown = describe_peer({}, false);
  EXPECT_EQ(unknown.peer, "?");
  EXPECT_EQ(unknown.address, "");
  EXPECT_FALSE(unknown.loopback);
}

}  // namespace
}  // namespace gw::broker::net

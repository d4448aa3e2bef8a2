// TcpListener against real loopback clients: a burst of connects queued before the loop runs is
// accepted in full (more than one readiness event's worth), each with the peer's own address, as
// asio sockets or (raw mode) as non-blocking, close-on-exec descriptors.
#include "broker/net/tcp_listener.hpp"

#include <chrono>
#include <algorithm>
#include <cerrno>
#include <map>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include "broker/net/tcp_connection.hpp"

namespace gw::broker::net {
namespace {

using namespace std::chrono_literals;

struct Listening {
  const char* address;
  asio::io_context io;
  std::vector<Accepted> accepted;
  std::unique_ptr<TcpListener> listener;
  std::error_code error;  // why open() failed

  // `listener` stays null when the address cannot be bound (`error` says why).
  explicit Listening(TcpListener::Mode mode = TcpListener::Mode::Asio, const char* bind = "127.0.0.1")
      : address(bind) {
    ListenerOptions options;
    options.address = bind;
    options.port = 0;
    auto opened = TcpListener::open(
        io, options, [this](Accepted a) { accepted.push_back(std::move(a)); }, mode);
    if (opened) {
      listener = std::move(*opened);
    } else {
      error = opened.error();
    }
  }
  [[nodiscard]] asio::ip::tcp::endpoint endpoint() const {
    return {asio::ip::make_address(address), listener->port()};
  }
  template <class F>
  bool run_until(F done, std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (!done() && std::chrono::steady_clock::now() < end) io.run_for(10ms);
    return done();
  }
};

// Connects more clients than one wake-up accepts, all before the loop runs (so they wait in the
// kernel's queue at once), and checks that each is accepted once with its own address.
void accepts_a_burst(Listening& l) {
  // Two wake-ups' worth, and within the old default of somaxconn (128), which caps the listen
  // backlog: a connect beyond it would wait for the kernel to give up instead of failing.
  constexpr std::size_t kClients = 2 * TcpListener::kMaxAcceptsPerWake - 1;
  static_assert(kClients < 128);
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
    EXPECT_EQ(a.peer.address(), asio::ip::make_address(l.address));
    auto it = ports.find(a.peer.port());
    ASSERT_NE(it, ports.end()) << "unknown peer port " << a.peer.port();
    EXPECT_FALSE(it->second) << "port " << a.peer.port() << " accepted twice";
    it->second = true;
  }
}

TEST(TcpListener, AcceptsABurstLargerThanOneWakeUpWithEachPeersAddress) {
  Listening l;
  ASSERT_NE(l.listener, nullptr);
  accepts_a_burst(l);
  for (const auto& a : l.accepted) {
    EXPECT_TRUE(a.socket.is_open());
    EXPECT_LT(a.fd.get(), 0);
  }
}

TEST(TcpListener, RawModeHandsOverNonBlockingCloseOnExecDescriptors) {
  Listening l(TcpListener::Mode::Raw);
  ASSERT_NE(l.listener, nullptr);
  accepts_a_burst(l);
  for (const auto& a : l.accepted) {
    EXPECT_FALSE(a.socket.is_open());
    ASSERT_GE(a.fd.get(), 0);
    EXPECT_NE(::fcntl(a.fd.get(), F_GETFL) & O_NONBLOCK, 0);
    EXPECT_NE(::fcntl(a.fd.get(), F_GETFD) & FD_CLOEXEC, 0);
  }
}

TEST(TcpListener, RawModeOnIpv6GivesEachPeersAddress) {
  Listening l(TcpListener::Mode::Raw, "::1");
  if (l.error == std::errc::address_not_available || l.error == std::errc::address_family_not_supported) {
    GTEST_SKIP() << "no IPv6 loopback here: " << l.error.message();
  }
  ASSERT_NE(l.listener, nullptr) << l.error.message();
  accepts_a_burst(l);
  for (const auto& a : l.accepted) EXPECT_TRUE(a.peer.address().is_v6());
}

TEST(TcpListener, ARawDescriptorNobodyTookIsClosed) {
  Listening l(TcpListener::Mode::Raw);
  ASSERT_NE(l.listener, nullptr);
  asio::ip::tcp::socket client(l.io);
  client.connect(l.endpoint());
  ASSERT_TRUE(l.run_until([&] { return l.accepted.size() == 1; }, 5s));
  l.accepted.clear();
  // The server side is closed: the client reads the end of the stream.
  pollfd readable{.fd = client.native_handle(), .events = POLLIN, .revents = 0};
  ASSERT_EQ(::poll(&readable, 1, 5000), 1) << "the accepted descriptor is still open";
  char byte = 0;
  EXPECT_EQ(::recv(client.native_handle(), &byte, 1, 0), 0);
}

// Lowers the soft RLIMIT_NOFILE and takes every descriptor under it but `spare`; gives them all
// back, and the limit, when destroyed (also when an assertion ends the test early).
class DescriptorsTaken {
 public:
  explicit DescriptorsTaken(int spare) {
    if (::getrlimit(RLIMIT_NOFILE, &saved_) != 0) return;
    rlimit low = saved_;
    low.rlim_cur = std::min<rlim_t>(256, saved_.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &low) != 0) return;
    lowered_ = true;
    for (int fd = ::dup(0); fd >= 0; fd = ::dup(0)) filler_.push_back(fd);
    full_ = errno == EMFILE;
    for (int i = 0; i < spare && !filler_.empty(); ++i) {
      ::close(filler_.back());
      filler_.pop_back();
    }
  }
  ~DescriptorsTaken() { give_back(); }
  DescriptorsTaken(const DescriptorsTaken&) = delete;
  DescriptorsTaken& operator=(const DescriptorsTaken&) = delete;

  // True when every descriptor under the limit but `spare` is taken.
  [[nodiscard]] bool full() const { return lowered_ && full_; }
  void give_back() {
    for (const int fd : filler_) ::close(fd);
    filler_.clear();
    if (lowered_) ::setrlimit(RLIMIT_NOFILE, &saved_);
    lowered_ = false;
  }

 private:
  rlimit saved_{};
  bool lowered_ = false;
  bool full_ = false;
  std::vector<int> filler_;
};

class ListenerOutOfDescriptors : public ::testing::Test {
 protected:
  void SetUp() override {
#if defined(__SANITIZE_ADDRESS__)
    // The sanitizers' runtime needs descriptors of its own (UBSan's dynamic type checks): with
    // every one taken it reports errors that are not the program's.
    GTEST_SKIP() << "not under the sanitizers";
#endif
  }

  // A raw listener whose troubles are recorded, every descriptor but `spare` taken, and a client
  // connected (in the kernel's queue, not accepted yet).
  void connect_with_spare(int spare) {
    ASSERT_NE(l.listener, nullptr);
    l.listener->on_trouble([this](std::error_code ec) { told.push_back(ec); });
    client.open(asio::ip::tcp::v4());
    taken = std::make_unique<DescriptorsTaken>(spare);
    ASSERT_TRUE(taken->full());
    std::error_code ec;
    client.connect(l.endpoint(), ec);
    ASSERT_FALSE(ec) << ec.message();
  }

  std::vector<std::error_code> told;  // outlives the listener that reports into it
  Listening l{TcpListener::Mode::Raw};
  asio::ip::tcp::socket client{l.io};
  std::unique_ptr<DescriptorsTaken> taken;  // given back first
};

TEST_F(ListenerOutOfDescriptors, IsToldOnceAndAcceptingResumesWhenSomeAreFree) {
  ASSERT_NO_FATAL_FAILURE(connect_with_spare(0));
  ASSERT_TRUE(l.run_until([&] { return !told.empty(); }, 5s)) << "no report while out of descriptors";
  l.io.run_for(3 * TcpListener::kRetry);  // retries: still one report
  taken->give_back();
  ASSERT_EQ(told.size(), 1U);
  EXPECT_EQ(told[0], std::errc::too_many_files_open);
  EXPECT_TRUE(l.accepted.empty());
  ASSERT_TRUE(l.run_until([&] { return l.accepted.size() == 1 && told.size() == 2; }, 5s))
      << l.accepted.size() << " accepted, " << told.size() << " reports";
  EXPECT_FALSE(told[1]) << "the second report says it works again";
}

TEST_F(ListenerOutOfDescriptors, TheLastFreeDescriptorTakenWithNobodyElseWaitingIsNoTrouble) {
  ASSERT_NO_FATAL_FAILURE(connect_with_spare(1));
  // The one free descriptor takes the client; the next accept4() fails with EMFILE although the
  // queue is empty: that is not a connection waiting in vain.
  ASSERT_TRUE(l.run_until([&] { return l.accepted.size() == 1; }, 5s));
  l.io.run_for(2 * TcpListener::kRetry);
  taken->give_back();
  EXPECT_TRUE(told.empty()) << told.size() << " report(s), the first: " << told.front().message();
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

class TcpConnectionFromListener : public ::testing::TestWithParam<TcpListener::Mode> {};

TEST_P(TcpConnectionFromListener, NamesItsPeerFromTheAcceptedAddress) {
  Listening l(GetParam());
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

INSTANTIATE_TEST_SUITE_P(Modes, TcpConnectionFromListener,
                         ::testing::Values(TcpListener::Mode::Asio, TcpListener::Mode::Raw),
                         [](const ::testing::TestParamInfo<TcpListener::Mode>& p) {
                           return p.param == TcpListener::Mode::Raw ? "Raw" : "Asio";
                         });

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

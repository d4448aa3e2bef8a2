// WsTransport between a recording inner transport and a recording handler: what reaches the
// wire, what reaches the broker, and when each side is closed.
#include "broker/net/ws_transport.hpp"

#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

namespace gw::broker::net {
namespace {

using Bytes = std::vector<std::byte>;

Bytes text(std::string_view s) {
  const auto b = std::as_bytes(std::span<const char>(s.data(), s.size()));
  return {b.begin(), b.end()};
}
std::string str(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

constexpr std::array<std::byte, 4> kMask{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};

struct FakeInner final : Transport {
  void write(std::span<const std::byte> b) override {
    if (!closed) wire.insert(wire.end(), b.begin(), b.end());
  }
  void close() override { closed = true; }
  void abort() override { aborted = true; }
  [[nodiscard]] std::size_t pending_bytes() const override { return 0; }
  [[nodiscard]] const std::string& peer() const override { return name; }
  [[nodiscard]] const std::string& peer_address() const override { return name; }
  [[nodiscard]] bool peer_is_loopback() const override { return true; }
  Bytes wire;
  bool closed = false;
  bool aborted = false;
  std::string name = "127.0.0.1:5";
};

struct Handler final : StreamHandler {
  void on_data(std::span<const std::byte> d) override { received += str(d); }
  void on_closed(std::error_code) override { ++closed; }
  std::string received;
  int closed = 0;
};

const std::string kRequest =
    "GET /mqtt HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: mqtt\r\n\r\n";

struct Fixture {
  asio::io_context io;
  FakeInner inner;
  Handler* handler = nullptr;
  std::vector<std::pair<WsTransport::FailureKind, std::string>> failures;
  std::unique_ptr<WsTransport> ws;

  explicit Fixture(std::uint32_t max = 1024) {
    ws = std::make_unique<WsTransport>(
        io.get_executor(), inner, WebSocketOptions{}, max, std::make_shared<SharedReadBuffer>(),
        [this](WsTransport::FailureKind k, const std::string&, std::string_view why) {
          failures.emplace_back(k, std::string(why));
        });
    auto h = std::make_unique<Handler>();
    handler = h.get();
    ws->start(std::move(h));
  }
  void send(std::string_view s) { ws->on_data(text(s)); }
  void send(const Bytes& b) { ws->on_data(b); }
  // What went out after the 101 response.
  std::string after_upgrade() const {
    const std::string all = str(inner.wire);
    const auto end = all.find("\r\n\r\n");
    return end == std::string::npos ? all : all.substr(end + 4);
  }
};

Bytes client_frame(WsOpcode op, std::string_view payload, bool fin = true) {
  Bytes out;
  append_ws_frame(out, op, text(payload), kMask, fin);
  return out;
}
std::string server_frame(WsOpcode op, std::string_view payload) {
  Bytes out;
  append_ws_frame(out, op, text(payload));
  return str(out);
}

TEST(WsTransport, UpgradesThenPassesBinaryPayloadUpAndWrapsWritesInOneFramePerPass) {
  Fixture f;
  f.send(kRequest);
  EXPECT_TRUE(str(f.inner.wire).starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
  f.send(client_frame(WsOpcode::Binary, "\x10\x02"));
  f.send(client_frame(WsOpcode::Binary, "ab"));
  EXPECT_EQ(f.handler->received, "\x10\x02" "ab");
  f.ws->write(text("one"));
  f.ws->write(text("two"));
  EXPECT_EQ(f.after_upgrade(), "");  // nothing before the end of the loop pass
  EXPECT_EQ(f.ws->pending_bytes(), 6U);
  f.io.poll();
  EXPECT_EQ(f.after_upgrade(), server_frame(WsOpcode::Binary, "onetwo"));
  EXPECT_TRUE(f.failures.empty());
}

TEST(WsTransport, AnswersPingWithPongAndEchoesTheClientsClose) {
  Fixture f;
  f.send(kRequest);
  f.send(client_frame(WsOpcode::Ping, "hi"));
  EXPECT_EQ(f.after_upgrade(), server_frame(WsOpcode::Pong, "hi"));
  f.inner.wire.clear();
  f.send(client_frame(WsOpcode::Close, "\x03\xE8"));  // 1000
  EXPECT_EQ(str(f.inner.wire), server_frame(WsOpcode::Close, "\x03\xE8"));
  EXPECT_TRUE(f.inner.closed);
  EXPECT_EQ(f.handler->closed, 0);  // told when the inner transport reports the end
  f.ws->on_closed({});
  EXPECT_EQ(f.handler->closed, 1);
}

TEST(WsTransport, CloseFromTheBrokerFlushesThenSendsClose1000) {
  Fixture f;
  f.send(kRequest);
  f.inner.wire.clear();
  f.ws->write(text("bye"));
  f.ws->close();
  EXPECT_EQ(str(f.inner.wire), server_frame(WsOpcode::Binary, "bye") + server_frame(WsOpcode::Close, "\x03\xE8"));
  EXPECT_TRUE(f.inner.closed);
  f.ws->write(text("late"));  // ignored after close()
  f.io.poll();
  EXPECT_EQ(f.ws->pending_bytes(), 0U);
}

TEST(WsTransport, RefusedHandshakeAnswersWithTheStatusClosesAndIsReported) {
  Fixture f;
  f.send("GET /nope HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_TRUE(str(f.inner.wire).starts_with("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_TRUE(f.inner.closed);
  ASSERT_EQ(f.failures.size(), 1U);
  EXPECT_EQ(f.failures[0].first, WsTransport::FailureKind::Handshake);
  EXPECT_EQ(f.failures[0].second, "no WebSocket endpoint at this path");
  EXPECT_EQ(f.handler->received, "");
}

TEST(WsTransport, FramingErrorsCloseWithTheirCodeAndAreReported) {
  struct Case {
    Bytes frame;
    std::string close_payload;
  };
  Bytes unmasked;
  append_ws_frame(unmasked, WsOpcode::Binary, text("x"));
  const std::vector<Case> cases = {
      {unmasked, "\x03\xEA"},                                   // 1002
      {client_frame(WsOpcode::Text, "x"), "\x03\xEB"},          // 1003
      {client_frame(WsOpcode::Binary, std::string(1025, 'a')), "\x03\xF1"},  // 1009
  };
  for (const auto& c : cases) {
    Fixture f;
    f.send(kRequest);
    f.inner.wire.clear();
    f.send(c.frame);
    EXPECT_EQ(str(f.inner.wire), server_frame(WsOpcode::Close, c.close_payload));
    EXPECT_TRUE(f.inner.closed);
    ASSERT_EQ(f.failures.size(), 1U);
    EXPECT_EQ(f.failures[0].first, WsTransport::FailureKind::Framing);
    EXPECT_EQ(f.handler->received, "");
  }
}

TEST(WsTransport, FramesSentWithTheRequestAreNotLost) {
  Fixture f;
  Bytes all = text(kRequest);
  const Bytes frame = client_frame(WsOpcode::Binary, "mqtt-bytes");
  all.insert(all.end(), frame.begin(), frame.end());
  f.send(all);
  EXPECT_EQ(f.handler->received, "mqtt-bytes");
}

TEST(WsTransport, ClosingDuringTheHandshakeJustClosesTheInnerTransport) {
  Fixture f;
  f.send("GET /mqtt HTTP/1.1\r\nHo");  // a slow client: the broker's connect timeout fires
  f.ws->close();
  EXPECT_TRUE(f.inner.closed);
  EXPECT_TRUE(f.inner.wire.empty());
  EXPECT_TRUE(f.failures.empty());
}

}  // namespace
}  // namespace gw::broker::net

// The RFC 6455 §4.2 opening handshake, server side: the RFC's own key, and every refusal with its
// status and reason.
#include "broker/net/ws_handshake.hpp"

#include <string>

#include <gtest/gtest.h>

namespace gw::broker::net {
namespace {

std::span<const std::byte> raw(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

std::string request(std::string_view extra = "Sec-WebSocket-Protocol: mqtt\r\n",
                    std::string_view line = "GET /mqtt HTTP/1.1") {
  return std::string(line) +
         "\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
         std::string(extra) + "\r\n";
}

// The status line of a refusal, and the reason it carries.
std::string status(const WsHandshake& h) { return h.response().substr(0, h.response().find("\r\n")); }

WsHandshake fed(const std::string& req, std::string path = "/mqtt") {
  WsHandshake h(std::move(path));
  EXPECT_EQ(h.feed(raw(req)), req.size());
  return h;
}

TEST(WsHandshake, AcceptKeyIsTheRfcExample) {
  // RFC 6455 §1.3.
  EXPECT_EQ(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsHandshake, AcceptsAnUpgradeAndEchoesMqtt) {
  auto h = fed(request("Sec-WebSocket-Protocol: mqtt\r\nOrigin: http://dash.example\r\n"));
  ASSERT_EQ(h.state(), WsHandshake::State::Accepted) << h.reason();
  EXPECT_EQ(h.subprotocol(), "mqtt");
  EXPECT_EQ(h.response(),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n");
}

TEST(WsHandshake, HeaderNamesAndTokensAreCaseInsensitiveAndListsAreSplit) {
  const std::string req =
      "GET /mqtt?token=1 HTTP/1.1\r\nhost: h\r\nupgrade: WebSocket\r\nconnection: keep-alive, Upgrade\r\n"
      "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n"
      "sec-websocket-protocol: wamp, MQTT\r\n\r\n";
  auto h = fed(req);
  ASSERT_EQ(h.state(), WsHandshake::State::Accepted) << h.reason();
  EXPECT_EQ(h.subprotocol(), "mqtt");
}

TEST(WsHandshake, AcceptsMqttv31OnlyWhenMqttIsNotOffered) {
  auto old = fed(request("Sec-WebSocket-Protocol: mqttv3.1\r\n"));
  ASSERT_EQ(old.state(), WsHandshake::State::Accepted);
  EXPECT_EQ(old.subprotocol(), "mqttv3.1");
  auto both = fed(request("Sec-WebSocket-Protocol: mqttv3.1\r\nSec-WebSocket-Protocol: mqtt\r\n"));
  EXPECT_EQ(both.subprotocol(), "mqtt");
}

TEST(WsHandshake, CollectsTheHeadAcrossReadsAndLeavesWhatFollows) {
  const std::string req = request();
  const std::string frame = "\x82\x80\x01\x02\x03\x04";
  const std::string all = req + frame;
  WsHandshake h("/mqtt");
  std::size_t used = 0;
  for (std::size_t at = 0; at < all.size() && h.state() == WsHandshake::State::NeedMore; ++at) {
    used += h.feed(raw(std::string_view(all).substr(at, 1)));
  }
  ASSERT_EQ(h.state(), WsHandshake::State::Accepted);
  EXPECT_EQ(used, req.size());
  // A head and a frame in one read: the frame's bytes are left over.
  WsHandshake one("/mqtt");
  EXPECT_EQ(one.feed(raw(all)), req.size());
}

struct Refusal {
  const char* name;
  std::string request;
  const char* status;
  const char* reason;
};

TEST(WsHandshake, RefusesBadRequestsWithAStatusAndAReason) {
  const std::vector<Refusal> cases = {
      {"wrong path", request("Sec-WebSocket-Protocol: mqtt\r\n", "GET /other HTTP/1.1"),
       "HTTP/1.1 404 Not Found", "no WebSocket endpoint at this path"},
      {"POST", request("Sec-WebSocket-Protocol: mqtt\r\n", "POST /mqtt HTTP/1.1"),
       "HTTP/1.1 405 Method Not Allowed", "method is not GET"},
      {"HTTP/1.0", request("Sec-WebSocket-Protocol: mqtt\r\n", "GET /mqtt HTTP/1.0"),
       "HTTP/1.1 400 Bad Request", "not an HTTP/1.1 request"},
      {"garbage request line", "\x10\x20garbage\r\n\r\n", "HTTP/1.1 400 Bad Request", "malformed request line"},
      {"no subprotocol", request(""), "HTTP/1.1 400 Bad Request",
       "subprotocol mqtt not offered (Sec-WebSocket-Protocol)"},
      {"other subprotocol", request("Sec-WebSocket-Protocol: chat\r\n"), "HTTP/1.1 400 Bad Request",
       "subprotocol mqtt not offered (Sec-WebSocket-Protocol)"},
      {"version 8", "GET /mqtt HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n"
                    "Sec-WebSocket-Protocol: mqtt\r\n\r\n",
       "HTTP/1.1 426 Upgrade Required", "Sec-WebSocket-Version must be 13"},
      {"no key", "GET /mqtt HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
       "HTTP/1.1 400 Bad Request", "missing or malformed Sec-WebSocket-Key"},
      {"short key", "GET /mqtt HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: abc=\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
       "HTTP/1.1 400 Bad Request", "missing or malformed Sec-WebSocket-Key"},
      {"no Host", "GET /mqtt HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Protocol: mqtt\r\n\r\n",
       "HTTP/1.1 400 Bad Request", "no Host header"},
      {"plain GET", "GET /mqtt HTTP/1.1\r\nHost: h\r\n\r\n", "HTTP/1.1 400 Bad Request",
       "not a WebSocket upgrade (Upgrade: websocket missing)"},
      {"no Connection: upgrade", "GET /mqtt HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                                 "Sec-WebSocket-Protocol: mqtt\r\n\r\n",
       "HTTP/1.1 400 Bad Request", "Connection header without the upgrade token"},
      {"header without a colon", request("Sec-WebSocket-Protocol: mqtt\r\nnonsense\r\n"),
       "HTTP/1.1 400 Bad Request", "malformed header line"},
  };
  for (const auto& c : cases) {
    auto h = fed(c.request);
    ASSERT_EQ(h.state(), WsHandshake::State::Refused) << c.name;
    EXPECT_EQ(status(h), c.status) << c.name;
    EXPECT_EQ(h.reason(), c.reason) << c.name;
    // The body carries the reason, with a matching Content-Length, and the connection closes.
    const std::string body = std::string(c.reason) + "\n";
    EXPECT_NE(h.response().find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
    EXPECT_NE(h.response().find("Connection: close\r\n"), std::string::npos);
    EXPECT_TRUE(h.response().ends_with("\r\n\r\n" + body)) << c.name;
  }
}

TEST(WsHandshake, AnnouncesVersion13WhenRefusingAnotherVersion) {
  std::string req = request();
  req.replace(req.find("Version: 13"), 11, "Version: 99");
  auto h = fed(req);
  EXPECT_NE(h.response().find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
}

TEST(WsHandshake, RefusesAnOversizeHeadWithoutWaitingForItsEnd) {
  WsHandshake h("/mqtt");
  const std::string chunk(1000, 'a');
  std::size_t fed_bytes = 0;
  while (h.state() == WsHandshake::State::NeedMore && fed_bytes < 100'000) fed_bytes += h.feed(raw(chunk));
  ASSERT_EQ(h.state(), WsHandshake::State::Refused);
  EXPECT_EQ(fed_bytes, WsHandshake::kMaxHeadBytes);
  EXPECT_EQ(status(h), "HTTP/1.1 431 Request Header Fields Too Large");
}

}  // namespace
}  // namespace gw::broker::net

// MQTT over WebSocket (RFC 6455; MQTT 5 §6) against the real edge-gateway binary: Eclipse Paho
// Python over ws:// with Mosquitto's command line clients on a plain TCP listener on the other
// side, and a raw socket that speaks the handshake and frames byte for byte, including the bad
// requests and frames a WebSocket listener must refuse without harm to anyone else.
//
// The gateway listens twice: plain MQTT on its first listener and MQTT over WebSocket at /mqtt on
// the second (both on port 0; the ports come from the "listening on" lines).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "broker/net/ws_frame.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/test_pki.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using broker::net::WsOpcode;
using ::testing::HasSubstr;

constexpr const char* kPython = "/usr/bin/python3";

const std::string kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455 §1.3's example key
const std::string kUpgraded =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";

std::string upgrade_request(const std::string& path = "/mqtt",
                            const std::string& protocol = "Sec-WebSocket-Protocol: mqtt\r\n") {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
         "Connection: Upgrade\r\nSec-WebSocket-Key: " + kKey + "\r\nSec-WebSocket-Version: 13\r\n" +
         protocol + "\r\n";
}

std::string refusal(const std::string& status, const std::string& reason) {
  const std::string body = reason + "\n";
  return "HTTP/1.1 " + status + "\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

Bytes bytes_of(const std::string& s) { return {s.begin(), s.end()}; }
std::string string_of(const Bytes& b) { return {b.begin(), b.end()}; }

// A client frame, masked as RFC 6455 §5.1 requires (unless `masked` is false, to test that).
Bytes frame(WsOpcode op, const Bytes& payload, bool masked = true, bool fin = true) {
  std::vector<std::byte> out;
  const std::array<std::byte, 4> mask{std::byte{0x5a}, std::byte{0x01}, std::byte{0xc3}, std::byte{0x77}};
  append_ws_frame(out, op, std::as_bytes(std::span<const std::uint8_t>(payload)),
                  masked ? std::optional(mask) : std::nullopt, fin);
  Bytes b;
  for (auto x : out) b.push_back(std::to_integer<std::uint8_t>(x));
  return b;
}

// MQTT 3.1.1 CONNECT, client id "ws", keep alive 60 s; its CONNACK; PINGREQ; PINGRESP.
const Bytes kConnect = {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x02, 'w', 's'};
const Bytes kPingreq = {0xC0, 0x00};

class BrokerWebSocket : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(gw_.ready()) << gw_.process().output();
    ASSERT_TRUE(wait_until([&] {
      ws_port_ = port_after(gw_.process().output(), "listening on 127.0.0.1:", 1);
      return ws_port_ != 0 || !gw_.process().running();
    }));
    ASSERT_NE(ws_port_, 0) << gw_.process().output();
    ASSERT_THAT(gw_.process().output(), HasSubstr("(ws) for MQTT over WebSocket at /mqtt"));
  }

  // A raw client that has completed the opening handshake.
  std::unique_ptr<RawClient> upgraded() {
    auto c = std::make_unique<RawClient>(ws_port_);
    EXPECT_TRUE(c->connected());
    c->send(bytes_of(upgrade_request()));
    EXPECT_EQ(string_of(c->read_exactly(kUpgraded.size())), kUpgraded);
    return c;
  }

  // Sends `request`, expects exactly `response` and then the connection's end.
  void expect_refused(const std::string& request, const std::string& response) {
    RawClient c(ws_port_);
    ASSERT_TRUE(c.connected());
    c.send(bytes_of(request));
    EXPECT_EQ(string_of(c.read_exactly(response.size())), response);
    EXPECT_TRUE(c.expect_closed()) << hex(c.unexpected());
  }

  // Sends `bad` after a good handshake and expects a Close frame with `code`, then the end.
  void expect_closed_with(const Bytes& bad, std::uint16_t code) {
    auto c = upgraded();
    c->send(bad);
    const Bytes close = {0x88, 0x02, static_cast<std::uint8_t>(code >> 8), static_cast<std::uint8_t>(code)};
    EXPECT_EQ(hex(c->read_exactly(close.size())), hex(close));
    EXPECT_TRUE(c->expect_closed()) << hex(c->unexpected());
  }

  void run_python(const std::string& version) {
    auto probe = run({kPython, "-c", "import paho.mqtt.client"}, 10s);
    ASSERT_EQ(probe.code, 0) << "python3-paho-mqtt is missing:\n" << probe.output;
    const std::string script = source_dir() + "/tests/integration/python/ws_client.py";
    auto r = run({kPython, "-B", script, gw_.port_str(), std::to_string(ws_port_), version}, 20s);
    EXPECT_EQ(r.code, 0) << r.output << "\n--- gateway:\n" << gw_.process().output();
    EXPECT_THAT(r.output, HasSubstr("OK"));
  }

  GatewayProcess gw_{"    - bind: 127.0.0.1:0\n      name: ws\n      websocket: {path: /mqtt}\n"
                     "  connect_timeout: 1s\n",
                     "metrics:\n  enabled: true\n  listen: 127.0.0.1:0\n"};
  std::uint16_t ws_port_ = 0;
};

TEST_F(BrokerWebSocket, PythonPahoV5OverWebSocketTalksToATcpMosquittoClient) { run_python("5"); }

TEST_F(BrokerWebSocket, PythonPahoV311OverWebSocketTalksToATcpMosquittoClient) { run_python("311"); }

// wss://: the WebSocket layer over a TLS listener. The client certificate's CN becomes the user
// name through both layers: only user "dash" may subscribe to ws/down, so an anonymous client
// would get SUBACK 0x87 and the script would fail.
TEST(BrokerWebSocketTls, PythonPahoOverWssIsKnownByItsClientCertificate) {
  TestPki pki;
  const CertFiles ca = pki.ca("wss-ca");
  const CertFiles server = pki.issue(ca, "server", kLoopbackSan);
  const CertFiles dash = pki.issue(ca, "dash", "");
  GatewayProcess gw("    - bind: 127.0.0.1:0\n      name: wss\n      websocket: {}\n"
                    "      tls:\n        cert_file: " + server.cert + "\n        key_file: " +
                    server.key + "\n        ca_file: " + ca.cert +
                    "\n        require_client_certificate: true\n"
                    "        identity_as_username: cn\n"
                    "  acl:\n"
                    "    - {user: dash, topic: ws/down, allow: [subscribe, receive]}\n"
                    "    - {topic: ws/down, allow: publish}\n"
                    "    - {topic: ws/up, allow: [publish, subscribe, receive]}\n");
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  std::uint16_t wss_port = 0;
  ASSERT_TRUE(wait_until([&] {
    wss_port = port_after(gw.process().output(), "listening on 127.0.0.1:", 1);
    return wss_port != 0 || !gw.process().running();
  }));
  ASSERT_THAT(gw.process().output(), HasSubstr("with TLS (wss) for MQTT over WebSocket at /mqtt"));
  auto probe = run({kPython, "-c", "import paho.mqtt.client"}, 10s);
  ASSERT_EQ(probe.code, 0) << "python3-paho-mqtt is missing:\n" << probe.output;
  const std::string script = source_dir() + "/tests/integration/python/ws_client.py";
  auto r = run({kPython, "-B", script, gw.port_str(), std::to_string(wss_port), "5", ca.cert,
                dash.cert, dash.key},
               20s);
  EXPECT_EQ(r.code, 0) << r.output << "\n--- gateway:\n" << gw.process().output();
  EXPECT_THAT(r.output, HasSubstr("OK"));
}

TEST_F(BrokerWebSocket, RawClientPacketsSpanFramesAndRepliesOfOnePassShareOneFrame) {
  auto c = upgraded();
  // CONNECT split over two frames, the second also carrying PINGREQ [MQTT-6.0.0-2].
  Bytes first(kConnect.begin(), kConnect.begin() + 5);
  Bytes second(kConnect.begin() + 5, kConnect.end());
  second.insert(second.end(), kPingreq.begin(), kPingreq.end());
  Bytes both = frame(WsOpcode::Binary, first);
  const Bytes f2 = frame(WsOpcode::Binary, second);
  both.insert(both.end(), f2.begin(), f2.end());
  ASSERT_TRUE(c->send(both));
  // CONNACK and PINGRESP were produced in one loop pass: one unmasked binary frame.
  const Bytes reply = {0x82, 0x06, 0x20, 0x02, 0x00, 0x00, 0xD0, 0x00};
  EXPECT_EQ(hex(c->read_exactly(reply.size())), hex(reply));

  // A fragmented PINGREQ with a WebSocket ping between its fragments.
  Bytes msg = frame(WsOpcode::Binary, {0xC0}, true, false);
  const Bytes ping = frame(WsOpcode::Ping, {'h', 'i'});
  const Bytes rest = frame(WsOpcode::Continuation, {0x00});
  msg.insert(msg.end(), ping.begin(), ping.end());
  msg.insert(msg.end(), rest.begin(), rest.end());
  ASSERT_TRUE(c->send(msg));
  const Bytes pong_then_pingresp = {0x8A, 0x02, 'h', 'i', 0x82, 0x02, 0xD0, 0x00};
  EXPECT_EQ(hex(c->read_exactly(pong_then_pingresp.size())), hex(pong_then_pingresp));

  // The client closes: the broker echoes the code and ends the connection.
  ASSERT_TRUE(c->send(frame(WsOpcode::Close, {0x03, 0xE8})));
  const Bytes echo = {0x88, 0x02, 0x03, 0xE8};
  EXPECT_EQ(hex(c->read_exactly(echo.size())), hex(echo));
  EXPECT_TRUE(c->expect_closed()) << hex(c->unexpected());
}

TEST_F(BrokerWebSocket, RefusesBadHandshakesWithAStatusAndCountsThem) {
  expect_refused(upgrade_request("/other"), refusal("404 Not Found", "no WebSocket endpoint at this path"));
  expect_refused(upgrade_request("/mqtt", ""),
                 refusal("400 Bad Request", "subprotocol mqtt not offered (Sec-WebSocket-Protocol)"));
  // A plain MQTT client on the WebSocket port: its bytes are no HTTP request line.
  expect_refused(std::string("\x10\x0e\x00\x04MQTT\r\n\r\n", 12),
                 refusal("400 Bad Request", "malformed request line"));
  expect_refused("GET /mqtt HTTP/1.1\r\nHost: x\r\n\r\n",
                 refusal("400 Bad Request", "not a WebSocket upgrade (Upgrade: websocket missing)"));
  EXPECT_THAT(gw_.process().output(), HasSubstr("upgrade refused: no WebSocket endpoint at this path"));
  // Counted, and shown to Prometheus.
  std::uint16_t metrics_port = 0;
  ASSERT_TRUE(wait_until([&] {
    metrics_port = port_after(gw_.process().output(), "metrics: serving http://127.0.0.1:");
    return metrics_port != 0;
  })) << gw_.process().output();
  const auto scrape = run({"curl", "--silent", "--show-error", "--max-time", "5",
                           "http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics"}, 10s);
  ASSERT_EQ(scrape.code, 0) << scrape.output;
  EXPECT_THAT(scrape.output, HasSubstr("\nedge_gateway_mqtt_websocket_handshake_failures_total 4\n"));
  // Still serving: a good client gets through.
  auto c = upgraded();
  ASSERT_TRUE(c->send(frame(WsOpcode::Binary, kConnect)));
  const Bytes connack = {0x82, 0x04, 0x20, 0x02, 0x00, 0x00};
  EXPECT_EQ(hex(c->read_exactly(connack.size())), hex(connack));
}

TEST_F(BrokerWebSocket, ClosesOnFramesRfc6455ForbidsWithTheirCode) {
  expect_closed_with(frame(WsOpcode::Binary, kConnect, false), 1002);  // not masked (§5.1)
  expect_closed_with(frame(WsOpcode::Text, {'h', 'i'}), 1003);        // text [MQTT-6.0.0-1]
  // A header announcing more than max_packet_size (256 KiB): refused before any payload arrives.
  expect_closed_with({0x82, 0xFF, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4}, 1009);
  // A 64-bit length of 2^63 + 1.
  expect_closed_with({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}, 1002);
  EXPECT_THAT(gw_.process().output(), HasSubstr("closed: client frame not masked"));
}

TEST_F(BrokerWebSocket, AStalledHandshakeIsClosedByTheConnectTimeout) {
  RawClient slow(ws_port_);
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.send(bytes_of("GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpg")));
  RawClient silent(ws_port_);
  ASSERT_TRUE(silent.connected());
  // connect_timeout is 1 s: both are gone well within 5 s, with nothing sent to them.
  EXPECT_TRUE(slow.expect_closed(5s)) << hex(slow.unexpected());
  EXPECT_TRUE(silent.expect_closed(5s)) << hex(silent.unexpected());
}

TEST_F(BrokerWebSocket, AnOversizeRequestHeadIsRefusedWith431) {
  RawClient c(ws_port_);
  ASSERT_TRUE(c.connected());
  std::string head = "GET /mqtt HTTP/1.1\r\nX-Filler: " + std::string(9000, 'a');
  c.send(bytes_of(head));
  const std::string response =
      refusal("431 Request Header Fields Too Large", "request head larger than 8192 bytes");
  EXPECT_EQ(string_of(c.read_exactly(response.size())), response);
  EXPECT_TRUE(c.expect_closed()) << hex(c.unexpected());
}

}  // namespace
}  // namespace gw::test

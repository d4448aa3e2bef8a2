// Broker conformance 01: CONNECT / CONNACK, protocol versions, client identifiers, takeover,
// keep alive, connection limits. MQTT 3.1.1 §3.1-§3.2, MQTT 5 §3.1-§3.2, §4.1.
#include <chrono>
#include <thread>

#include "tests/integration/conformance.hpp"

namespace gw::test::conformance {
namespace {

// --- protocol name and level (MQTT 5 §3.1.2.1-§3.1.2.2) ---

TEST(Connect01, AcceptsV311WithReturnCode0) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v311("c311"), Bytes{0x20, 0x02, 0x00, 0x00}));
  EXPECT_TRUE(ping(c));
}

TEST(Connect01, AcceptsV5WithDefaultConnackProperties) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c5"),
                        Bytes{0x20, 0x0e, 0x00, 0x00, 0x0b, 0x21, 0x00, 0x40, 0x27, 0x00, 0x04,
                              0x00, 0x00, 0x22, 0x00, 0x0a}));
  EXPECT_TRUE(ping(c));
}

TEST(Connect01, RefusesProtocolLevel3WithV311ReturnCode1) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  // MQTT 3.1: protocol name "MQIsdp", level 3, clean session, keep alive 60, client id "c1".
  c.send(Bytes{0x10, 0x10, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03, 0x02, 0x00, 0x3c, 0x00,
               0x02, 'c', '1'});
  // MQTT 3.1.1 §3.1.2.2 [MQTT-3.1.2-2]: CONNACK return code 0x01, then close.
  EXPECT_TRUE(received(c, Bytes{0x20, 0x02, 0x00, 0x01}));
  EXPECT_TRUE(closed(c));
}

TEST(Connect01, RefusesProtocolLevel6WithV5Reason0x84) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  c.send(Bytes{0x10, 0x0f, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x06, 0x02, 0x00, 0x3c, 0x00, 0x00,
               0x02, 'c', '1'});
  // MQTT 5 §3.1.2.2 [MQTT-3.1.2-2]: CONNACK 0x84 Unsupported Protocol Version, then close.
  EXPECT_TRUE(received(c, Bytes{0x20, 0x03, 0x00, 0x84, 0x00}));
  EXPECT_TRUE(closed(c));
}

TEST(Connect01, RefusesUnknownProtocolNameByClosing) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  // MQTT 5 §3.1.2.1 [MQTT-3.1.2-1]: another protocol name; the server MAY send CONNACK 0x84,
  // and MUST close. We close without a CONNACK.
  c.send(Bytes{0x10, 0x0f, 0x00, 0x04, 'M', 'Q', 'T', 'X', 0x05, 0x02, 0x00, 0x3c, 0x00, 0x00,
               0x02, 'c', '1'});
  EXPECT_TRUE(closed(c));
}

TEST(Connect01, SecondConnectV5IsProtocolError0x82) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("twice")));
  c.send(connect_v5("twice"));
  // MQTT 5 §3.1 [MQTT-3.1.0-2]: a second CONNECT is a Protocol Error.
  EXPECT_TRUE(disconnected(c, 0x82));
}

TEST(Connect01, SecondConnectWithAnotherProtocolLevelIsStillProtocolError0x82) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("twice")));
  // Level 6: as a first CONNECT it gets CONNACK 0x84, which is no DISCONNECT code [MQTT-3.14.2-1].
  c.send(Bytes{0x10, 0x0f, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x06, 0x02, 0x00, 0x3c, 0x00, 0x00,
               0x02, 't', 'w'});
  EXPECT_TRUE(disconnected(c, 0x82));  // [MQTT-3.1.0-2]
}

TEST(Connect01, SecondConnectV311Closes) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v311("twice")));
  c.send(connect_v311("twice"), V::V311);
  // MQTT 3.1.1 §3.1.0 [MQTT-3.1.0-2]: the server disconnects the client.
  EXPECT_TRUE(closed(c));
}

// --- the client's Maximum Packet Size holds for the CONNACK too (MQTT 5 §3.1.2.11.4) ---

TEST(Connect01, ClientMaximumPacketSizeBelowTheConnackRefusedWithBare0x95) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  // The CONNACK would be 16 bytes [MQTT-3.1.2-24]; nothing in it can be left out (its limits bind
  // the client), so the connection is refused with the 5-byte CONNACK 0x95 Packet too large.
  c.send(connect_v5("tiny", true, ConnectProps{.maximum_packet_size = 12}), V::V5);
  EXPECT_TRUE(received(c, Bytes{0x20, 0x03, 0x00, 0x95, 0x00}));
  EXPECT_TRUE(closed(c));
  // Exactly the CONNACK's size is enough.
  RawClient d(gw.port());
  ASSERT_TRUE(handshake(d, connect_v5("exact", true, ConnectProps{.maximum_packet_size = 16})));
  EXPECT_TRUE(ping(d));
}

TEST(Connect01, ResponseInformationThatDoesNotFitIsLeftOut) {
  GW_START_BROKER(gw, "  response_information: plant-1/responses/\n");
  RawClient c(gw.port());
  // Asked for, but only the default CONNACK's 16 bytes allowed: Response Information is the one
  // property a successful CONNACK may go without (§3.2.2.3.15: the server MAY send it).
  ASSERT_TRUE(handshake(c, connect_v5("asks", true,
                                      ConnectProps{.maximum_packet_size = 16,
                                                   .request_response_information = true})));
  EXPECT_TRUE(ping(c));
}

TEST(Connect01, AssignedClientIdentifierThatDoesNotFitRefusedWith0x95) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  // 16 bytes of CONNACK plus an Assigned Client Identifier: more than 20.
  c.send(connect_v5("", true, ConnectProps{.maximum_packet_size = 20}), V::V5);
  EXPECT_TRUE(received(c, Bytes{0x20, 0x03, 0x00, 0x95, 0x00}));
  EXPECT_TRUE(closed(c));
}

TEST(Connect01, ClientMaximumPacketSizeBelowEvenARefusalIsClosedWithoutConnack) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  c.send(connect_v5("tinier", true, ConnectProps{.maximum_packet_size = 4}), V::V5);
  EXPECT_TRUE(closed(c));
}

TEST(Connect01, RedirectionToAClientThatAllowsLittleLeavesOutTheServerReference) {
  GW_START_BROKER(gw, "  redirect:\n    server: other.example:1883\n    permanent: true\n");
  RawClient full(gw.port());
  full.send(connect_v5("moved"), V::V5);
  // 0x9D Server moved with the Server Reference (0x1C) [MQTT 5 §4.11]...
  const std::string_view reference = "other.example:1883";  // 18 bytes
  Bytes with_reference{0x20, 0x18, 0x00, 0x9d, 0x15, 0x1c, 0x00, 0x12};
  with_reference.insert(with_reference.end(), reference.begin(), reference.end());
  EXPECT_TRUE(received(full, with_reference)) << gw.process().output();
  // ...or, to a client that allows fewer bytes, without it [MQTT-3.1.2-24].
  RawClient small(gw.port());
  small.send(connect_v5("moved", true, ConnectProps{.maximum_packet_size = 12}), V::V5);
  EXPECT_TRUE(received(small, Bytes{0x20, 0x03, 0x00, 0x9d, 0x00}));
  EXPECT_TRUE(closed(small));
}

TEST(Connect01, FirstPacketPingreqIsClosed) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  // MQTT 5 §3.1 [MQTT-3.1.0-1]: the first packet from the client must be CONNECT.
  c.send(kPingreq);
  EXPECT_TRUE(closed(c));
}

TEST(Connect01, FirstPacketPublishIsClosed) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  c.send(Bytes{0x30, 0x05, 0x00, 0x01, 't', 0x00, 'x'});
  EXPECT_TRUE(closed(c));
}

TEST(Connect01, ReservedConnectFlagIsMalformedAndClosed) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  // MQTT 5 §3.1.2.3 [MQTT-3.1.2-3]: the reserved flag (bit 0) must be 0.
  c.send(Bytes{0x10, 0x0f, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x03, 0x00, 0x3c, 0x00, 0x00,
               0x02, 'c', '1'});
  EXPECT_TRUE(closed(c));
}

TEST(Connect01, NoConnectWithinConnectTimeoutIsClosed) {
  GW_START_BROKER(gw, "  connect_timeout: 200ms\n");
  RawClient c(gw.port());
  ASSERT_TRUE(c.connected());
  EXPECT_TRUE(closed(c, 2s));
}

TEST(Connect01, AuthenticationMethodRefusedWith0x8C) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  // MQTT 5 §4.12 [MQTT-4.12.0-1]: a method the server does not offer gets 0x8C.
  c.send(connect_v5("auth", true, ConnectProps{.authentication_method = "SCRAM-SHA-1"}));
  EXPECT_TRUE(received(c, Bytes{0x20, 0x03, 0x00, 0x8c, 0x00}));
  EXPECT_TRUE(closed(c));
}

// --- client identifier (MQTT 5 §3.1.3.1) ---

TEST(Connect01, EmptyClientIdV5GetsAssignedClientIdentifier) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  c.send(connect_v5(""));
  const auto p = c.read_packet();
  ASSERT_TRUE(p.has_value());
  const Bytes& b = *p;
  // [MQTT-3.2.2-16]: CONNACK carries Assigned Client Identifier (0x12), a non-empty string.
  // Expected layout: 20 rl 00 00 pl | 21 00 40 | 27 00 04 00 00 | 12 len id... | 22 00 0a
  ASSERT_GE(b.size(), 16u) << hex(b);
  const std::size_t id_len = b[14] * 256u + b[15];
  ASSERT_GT(id_len, 0u) << hex(b);
  Bytes expected{0x20, static_cast<std::uint8_t>(0x0e + 3 + id_len), 0x00, 0x00,
                 static_cast<std::uint8_t>(0x0b + 3 + id_len), 0x21, 0x00, 0x40, 0x27, 0x00, 0x04,
                 0x00, 0x00, 0x12};
  ASSERT_EQ(b.size(), 16 + id_len + 3) << hex(b);
  append_str(expected, std::string(b.begin() + 16, b.begin() + 16 + static_cast<std::ptrdiff_t>(id_len)));
  expected.insert(expected.end(), {0x22, 0x00, 0x0a});
  EXPECT_EQ(hex(b), hex(expected));
  EXPECT_TRUE(ping(c));
}

TEST(Connect01, EmptyClientIdV311WithCleanSessionAccepted) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v311("", true), Bytes{0x20, 0x02, 0x00, 0x00}));
  EXPECT_TRUE(ping(c));
}

TEST(Connect01, EmptyClientIdV311WithoutCleanSessionRefusedWithReturnCode2) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  // MQTT 3.1.1 §3.1.3.1 [MQTT-3.1.3-8]: CONNACK 0x02 Identifier rejected, then close.
  c.send(connect_v311("", false), V::V311);
  EXPECT_TRUE(received(c, Bytes{0x20, 0x02, 0x00, 0x02}));
  EXPECT_TRUE(closed(c));
}

TEST(Connect01, SameClientIdV5TakesOverWithDisconnect0x8E) {
  GW_START_BROKER(gw);
  RawClient first(gw.port());
  ASSERT_TRUE(handshake(first, connect_v5("same")));
  RawClient second(gw.port());
  ASSERT_TRUE(handshake(second, connect_v5("same")));
  // MQTT 5 §3.1.4 [MQTT-3.1.4-3]: the existing connection gets DISCONNECT 0x8E and is closed.
  EXPECT_TRUE(received(first, Bytes{0xe0, 0x01, 0x8e}));
  EXPECT_TRUE(closed(first));
  EXPECT_TRUE(ping(second));
}

TEST(Connect01, SameClientIdV311TakesOverByClosingOldConnection) {
  GW_START_BROKER(gw);
  RawClient first(gw.port());
  ASSERT_TRUE(handshake(first, connect_v311("same")));
  RawClient second(gw.port());
  ASSERT_TRUE(handshake(second, connect_v311("same")));
  // MQTT 3.1.1 §3.1.4 [MQTT-3.1.4-2]: the existing client is disconnected.
  EXPECT_TRUE(closed(first));
  EXPECT_TRUE(ping(second));
}

// --- keep alive (MQTT 5 §3.1.2.10) ---

TEST(Connect01, KeepAlive1sV5SilentClientGetsDisconnect0x8DAfterOneAndAHalfPeriods) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  auto connect = connect_v5("ka");
  connect.keep_alive = 1;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(handshake(c, connect));
  // [MQTT-3.1.2-22]: no packet for 1.5 x Keep Alive -> DISCONNECT 0x8D Keep Alive timeout.
  EXPECT_TRUE(received(c, Bytes{0xe0, 0x01, 0x8d}, 3s));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(closed(c));
  EXPECT_GE(elapsed, 1450ms);
  EXPECT_LE(elapsed, 3s);
}

TEST(Connect01, KeepAlive1sV311SilentClientIsClosed) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  auto connect = connect_v311("ka");
  connect.keep_alive = 1;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(handshake(c, connect));
  EXPECT_TRUE(closed(c, 3s));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 1450ms);
  EXPECT_LE(elapsed, 3s);
}

TEST(Connect01, MaxKeepAliveAnnouncedAsServerKeepAlive) {
  GW_START_BROKER(gw, "  max_keep_alive: 5s\n");
  RawClient c(gw.port());
  auto connect = connect_v5("ka");
  connect.keep_alive = 60;
  // [MQTT-3.2.2-21]: the client must use the Server Keep Alive (0x13) the CONNACK announces.
  ASSERT_TRUE(handshake(c, connect,
                        Bytes{0x20, 0x11, 0x00, 0x00, 0x0e, 0x21, 0x00, 0x40, 0x27, 0x00, 0x04,
                              0x00, 0x00, 0x22, 0x00, 0x0a, 0x13, 0x00, 0x05}));
  EXPECT_TRUE(ping(c));
}

TEST(Connect01, MaxKeepAliveReplacesKeepAliveZero) {
  GW_START_BROKER(gw, "  max_keep_alive: 7s\n");
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("ka0"),
                        Bytes{0x20, 0x11, 0x00, 0x00, 0x0e, 0x21, 0x00, 0x40, 0x27, 0x00, 0x04,
                              0x00, 0x00, 0x22, 0x00, 0x0a, 0x13, 0x00, 0x07}));
}

TEST(Connect01, KeepAliveWithinMaximumIsNotAnnounced) {
  GW_START_BROKER(gw, "  max_keep_alive: 60s\n");
  RawClient c(gw.port());
  auto connect = connect_v5("ka");
  connect.keep_alive = 30;
  ASSERT_TRUE(handshake(c, connect));
}

// --- capabilities and limits announced in CONNACK (MQTT 5 §3.2.2.3) ---

TEST(Connect01, ConnackAnnouncesConfiguredCapabilities) {
  GW_START_BROKER(gw,
                  "  receive_maximum: 10\n  maximum_qos: 1\n  retain_available: false\n"
                  "  max_packet_size: 1KiB\n  max_queued_bytes: 1MiB\n  topic_alias_maximum: 0\n"
                  "  wildcard_subscriptions: false\n  subscription_identifiers: false\n"
                  "  shared_subscriptions: false\n");
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("caps"),
                        Bytes{0x20, 0x15, 0x00, 0x00, 0x12,
                              0x21, 0x00, 0x0a,              // Receive Maximum 10
                              0x24, 0x01,                    // Maximum QoS 1
                              0x25, 0x00,                    // Retain Available 0
                              0x27, 0x00, 0x00, 0x04, 0x00,  // Maximum Packet Size 1024
                              0x28, 0x00,                    // Wildcard Subscription Available 0
                              0x29, 0x00,                    // Subscription Identifiers Available 0
                              0x2a, 0x00}));                 // Shared Subscription Available 0
}

TEST(Connect01, MaxConnectionsRefusesFurtherConnections) {
  GW_START_BROKER(gw, "  max_connections: 1\n");
  RawClient first(gw.port());
  ASSERT_TRUE(handshake(first, connect_v5("one")));
  RawClient second(gw.port());
  EXPECT_TRUE(closed(second));
  EXPECT_TRUE(ping(first));
}

TEST(Connect01, ServerKeepAliveIsEnforced) {
  GW_START_BROKER(gw, "  max_keep_alive: 1s\n");
  RawClient c(gw.port());
  auto connect = connect_v5("ka");
  connect.keep_alive = 60;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(handshake(c, connect,
                        Bytes{0x20, 0x11, 0x00, 0x00, 0x0e, 0x21, 0x00, 0x40, 0x27, 0x00, 0x04,
                              0x00, 0x00, 0x22, 0x00, 0x0a, 0x13, 0x00, 0x01}));
  // The announced Server Keep Alive (1 s), not the client's 60 s, is what the server applies.
  EXPECT_TRUE(received(c, Bytes{0xe0, 0x01, 0x8d}, 3s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1450ms);
}

TEST(Connect01, PingreqWithinKeepAliveKeepsConnectionOpen) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  auto connect = connect_v5("ka");
  connect.keep_alive = 1;
  ASSERT_TRUE(handshake(c, connect));
  // Time is what is under test: a PINGREQ every 0.7 s keeps a 1 s keep alive connection open
  // past the 1.5 s limit (3 x 0.7 = 2.1 s).
  auto next = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    next += 700ms;
    std::this_thread::sleep_until(next);
    ASSERT_TRUE(ping(c)) << "ping " << i;
  }
}

}  // namespace
}  // namespace gw::test::conformance

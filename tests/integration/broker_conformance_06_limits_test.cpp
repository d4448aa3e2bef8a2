// Broker conformance 06: flow control and size limits: Receive Maximum in both directions,
// Maximum Packet Size in both directions (boundaries included), per-session queue limits.
// MQTT 5 §3.1.2.11.3-§3.1.2.11.4, §3.2.2.3.3, §3.2.2.3.6, §4.9.
#include <algorithm>
#include <chrono>
#include <span>
#include <string>

#include "tests/integration/conformance.hpp"

namespace gw::test::conformance {
namespace {

// --- Receive Maximum (MQTT 5 §4.9) ---

TEST(Limits06, ClientReceiveMaximumBoundsUnacknowledgedQos1) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub", true, ConnectProps{.receive_maximum = 2})));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  for (std::uint16_t i = 1; i <= 5; ++i) {
    pub.send(publish_packet("t/a", std::string(1, static_cast<char>('0' + i)), QoS::AtLeastOnce, i));
    ASSERT_TRUE(received(pub, ack_bytes(0x40, i)));
  }
  auto msg = [](std::uint8_t id) {
    return Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, id, 0x00, static_cast<std::uint8_t>('0' + id)};
  };
  // [MQTT-3.3.4-7]: no more than Receive Maximum (2) QoS 1 PUBLISHes unacknowledged.
  EXPECT_TRUE(received(sub, msg(1)));
  EXPECT_TRUE(received(sub, msg(2)));
  EXPECT_TRUE(ping(sub));  // the third waits
  sub.send(ack_bytes(0x40, 1));
  EXPECT_TRUE(received(sub, msg(3)));
  EXPECT_TRUE(ping(sub));
  sub.send(ack_bytes(0x40, 2));
  sub.send(ack_bytes(0x40, 3));
  EXPECT_TRUE(received(sub, msg(4)));
  EXPECT_TRUE(received(sub, msg(5)));
  EXPECT_TRUE(ping(sub));
}

TEST(Limits06, ClientReceiveMaximumCountsQos2UntilPubcomp) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub", true, ConnectProps{.receive_maximum = 1})));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::ExactlyOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("t/a", "1", QoS::AtLeastOnce, 1));
  pub.send(publish_packet("t/a", "2", QoS::AtLeastOnce, 2));
  ASSERT_TRUE(received(pub, Bytes{0x40, 0x02, 0x00, 0x01, 0x40, 0x02, 0x00, 0x02}));
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, '1'}));
  EXPECT_TRUE(ping(sub));
  sub.send(ack_bytes(0x40, 1));
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x02, 0x00, '2'}));
}

TEST(Limits06, Qos2InFlightUntilPubcompAgainstReceiveMaximum) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub", true, ConnectProps{.receive_maximum = 1})));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::ExactlyOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("t/a", "1", QoS::ExactlyOnce, 1));
  pub.send(publish_packet("t/a", "2", QoS::ExactlyOnce, 2));
  ASSERT_TRUE(received(pub, Bytes{0x50, 0x02, 0x00, 0x01, 0x50, 0x02, 0x00, 0x02}));
  EXPECT_TRUE(received(sub, Bytes{0x34, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, '1'}));
  sub.send(ack_bytes(0x50, 1));
  EXPECT_TRUE(received(sub, Bytes{0x62, 0x02, 0x00, 0x01}));
  // MQTT 5 §4.9: the quota comes back with PUBCOMP, not PUBREC.
  EXPECT_TRUE(ping(sub));
  sub.send(ack_bytes(0x70, 1));
  EXPECT_TRUE(received(sub, Bytes{0x34, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x02, 0x00, '2'}));
}

TEST(Limits06, MaxInflightBoundsUnacknowledgedQos1) {
  GW_START_BROKER(gw, "  max_inflight: 1\n");
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v311("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce, V::V311));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v311("pub")));
  pub.send(publish_packet("t/a", "1", QoS::AtLeastOnce, 1), V::V311);
  pub.send(publish_packet("t/a", "2", QoS::AtLeastOnce, 2), V::V311);
  ASSERT_TRUE(received(pub, Bytes{0x40, 0x02, 0x00, 0x01, 0x40, 0x02, 0x00, 0x02}));
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x08, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, '1'}));
  EXPECT_TRUE(ping(sub));
  sub.send(ack_bytes(0x40, 1));
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x08, 0x00, 0x03, 't', '/', 'a', 0x00, 0x02, '2'}));
}

TEST(Limits06, ConnackAdvertisesReceiveMaximum) {
  GW_START_BROKER(gw, "  receive_maximum: 2\n");
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c"),
                        Bytes{0x20, 0x0e, 0x00, 0x00, 0x0b, 0x21, 0x00, 0x02, 0x27, 0x00, 0x04,
                              0x00, 0x00, 0x22, 0x00, 0x0a}));
}

TEST(Limits06, MoreUnacknowledgedQos2ThanReceiveMaximumDisconnect0x93) {
  GW_START_BROKER(gw, "  receive_maximum: 2\n");
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c"),
                        Bytes{0x20, 0x0e, 0x00, 0x00, 0x0b, 0x21, 0x00, 0x02, 0x27, 0x00, 0x04,
                              0x00, 0x00, 0x22, 0x00, 0x0a}));
  for (std::uint16_t id = 1; id <= 2; ++id) {
    c.send(publish_packet("t/a", "x", QoS::ExactlyOnce, id));
    ASSERT_TRUE(received(c, ack_bytes(0x50, id, 0x10)));
  }
  c.send(publish_packet("t/a", "x", QoS::ExactlyOnce, 3));
  // [MQTT-3.3.4-9]: DISCONNECT 0x93 Receive Maximum exceeded.
  EXPECT_TRUE(disconnected(c, 0x93));
}

TEST(Limits06, Qos2UpToReceiveMaximumAndReleasedIsFine) {
  GW_START_BROKER(gw, "  receive_maximum: 1\n");
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c"),
                        Bytes{0x20, 0x0e, 0x00, 0x00, 0x0b, 0x21, 0x00, 0x01, 0x27, 0x00, 0x04,
                              0x00, 0x00, 0x22, 0x00, 0x0a}));
  for (std::uint16_t id = 1; id <= 3; ++id) {
    c.send(publish_packet("t/a", "x", QoS::ExactlyOnce, id));
    ASSERT_TRUE(received(c, ack_bytes(0x50, id, 0x10)));
    c.send(ack_bytes(0x62, id));
    ASSERT_TRUE(received(c, ack_bytes(0x70, id)));
  }
  EXPECT_TRUE(ping(c));
}

// --- Maximum Packet Size (MQTT 5 §3.1.2.11.4, §3.2.2.3.6) ---

// The size of a v5 QoS 0 PUBLISH on topic "t" with no properties and `payload` bytes:
// 1 (type) + VBI(remaining) + 2 + 1 (topic) + 1 (property length) + payload.
std::size_t publish_t_size(std::size_t payload) {
  const std::size_t remaining = 4 + payload;
  return 1 + (remaining < 128 ? 1 : 2) + remaining;
}

TEST(Limits06, ConnackAdvertisesMaximumPacketSize) {
  GW_START_BROKER(gw, "  max_packet_size: 1KiB\n");
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c"),
                        Bytes{0x20, 0x0e, 0x00, 0x00, 0x0b, 0x21, 0x00, 0x40, 0x27, 0x00, 0x00,
                              0x04, 0x00, 0x22, 0x00, 0x0a}));
}

TEST(Limits06, InboundPacketOfExactlyMaximumIsAccepted) {
  GW_START_BROKER(gw, "  max_packet_size: 1KiB\n");
  const Bytes connack{0x20, 0x0e, 0x00, 0x00, 0x0b, 0x21, 0x00, 0x40, 0x27, 0x00, 0x00,
                      0x04, 0x00, 0x22, 0x00, 0x0a};
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub"), connack));
  ASSERT_TRUE(subscribed(sub, 1, "t", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub"), connack));
  const std::string payload(1017, 'p');
  ASSERT_EQ(publish_t_size(payload.size()), 1024u);
  const Bytes packet = publish_bytes({.topic = "t", .payload = payload});
  ASSERT_EQ(packet.size(), 1024u);
  pub.send(packet);
  EXPECT_TRUE(received(sub, packet));
  EXPECT_TRUE(ping(pub));
}

TEST(Limits06, InboundPacketOverMaximumDisconnect0x95) {
  GW_START_BROKER(gw, "  max_packet_size: 1KiB\n");
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub"),
                        Bytes{0x20, 0x0e, 0x00, 0x00, 0x0b, 0x21, 0x00, 0x40, 0x27, 0x00, 0x00,
                              0x04, 0x00, 0x22, 0x00, 0x0a}));
  const Bytes packet = publish_bytes({.topic = "t", .payload = std::string(1018, 'p')});
  ASSERT_EQ(packet.size(), 1025u);
  pub.send(packet);
  // [MQTT-3.2.2-? ] / §3.2.2.3.6: a packet over the announced maximum: DISCONNECT 0x95.
  EXPECT_TRUE(disconnected(pub, 0x95));
}

TEST(Limits06, InboundOversizeRefusedOnHeaderAloneV311Closed) {
  GW_START_BROKER(gw, "  max_packet_size: 1KiB\n");
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v311("pub")));
  // Only the fixed header of a 2 MB PUBLISH: refused before the body arrives.
  pub.send(Bytes{0x30, 0x80, 0x80, 0x80, 0x01});
  EXPECT_TRUE(closed(pub));
}

TEST(Limits06, MessageOverSubscriberMaximumNotSentToItOthersGetIt) {
  GW_START_BROKER(gw);
  RawClient small(gw.port());
  ASSERT_TRUE(handshake(small, connect_v5("small", true, ConnectProps{.maximum_packet_size = 100})));
  ASSERT_TRUE(subscribed(small, 1, "t", QoS::AtMostOnce));
  RawClient large(gw.port());
  ASSERT_TRUE(handshake(large, connect_v5("large")));
  ASSERT_TRUE(subscribed(large, 1, "t", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  const Bytes over = publish_bytes({.topic = "t", .payload = std::string(95, 'o')});
  const Bytes exact = publish_bytes({.topic = "t", .payload = std::string(94, 'e')});
  ASSERT_EQ(over.size(), 101u);
  ASSERT_EQ(exact.size(), 100u);
  pub.send(over);
  pub.send(exact);
  // [MQTT-3.1.2-24]: the server must not send a packet over the client's Maximum Packet Size;
  // [MQTT-3.1.2-25]: it discards it as if delivered. Exactly the limit is delivered.
  EXPECT_TRUE(received(small, exact));
  EXPECT_TRUE(ping(small));
  EXPECT_TRUE(received(large, over));
  EXPECT_TRUE(received(large, exact));
}

TEST(Limits06, CopyLargerThanAnyPacketIsDroppedForThatSubscriberAndTheBrokerGoesOn) {
  // The largest max_packet_size, 256 MiB. A copy carries the Subscription Identifier its PUBLISH
  // did not, 5 bytes more, and then is larger than any packet can be (Remaining Length at most
  // 268,435,455, MQTT 5 §1.5.5): not sent, as if delivered [MQTT-3.1.2-25]. (It used to abort.)
  GW_START_BROKER(gw, "  max_packet_size: 256MiB\n  max_queued_bytes: 1GiB\n");
  const Bytes connack{0x20, 0x0e, 0x00, 0x00, 0x0b, 0x21, 0x00, 0x40,
                      0x27, 0x10, 0x00, 0x00, 0x00,  // Maximum Packet Size 268,435,456
                      0x22, 0x00, 0x0a};
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub"), connack));
  ASSERT_TRUE(subscribed(sub, 1, "b", QoS::AtMostOnce, V::V5, {}, 268'435'455));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub"), connack));
  // PUBLISH QoS 0 to "b", no properties, 268,435,447 bytes of payload: 268,435,456 in all.
  constexpr std::size_t kPayload = 268'435'447;
  pub.send(Bytes{0x30, 0xfb, 0xff, 0xff, 0x7f, 0x00, 0x01, 'b', 0x00});
  const Bytes chunk(1 << 20, 'x');
  for (std::size_t sent = 0; sent < kPayload; sent += chunk.size()) {
    ASSERT_TRUE(pub.send(std::span(chunk).first(std::min(chunk.size(), kPayload - sent))));
  }
  pub.send(kPingreq);  // answered once the PUBLISH was routed, with time for 256 MiB of it
  ASSERT_TRUE(received(pub, kPingresp, std::chrono::seconds(60))) << gw.process().output();
  EXPECT_TRUE(ping(sub));  // nothing came before the PINGRESP
}

TEST(Limits06, Qos1MessageOverSubscriberMaximumDoesNotUseQuota) {
  GW_START_BROKER(gw);
  RawClient small(gw.port());
  ASSERT_TRUE(handshake(small, connect_v5("small", true,
                                          ConnectProps{.receive_maximum = 1, .maximum_packet_size = 100})));
  ASSERT_TRUE(subscribed(small, 1, "t", QoS::AtLeastOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("t", std::string(200, 'o'), QoS::AtLeastOnce, 1));
  pub.send(publish_packet("t", "ok", QoS::AtLeastOnce, 2));
  ASSERT_TRUE(received(pub, Bytes{0x40, 0x02, 0x00, 0x01, 0x40, 0x02, 0x00, 0x02}));
  // The oversize message is dropped for this client; the next one is sent without waiting.
  const auto p = small.read_packet();
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(hex(Bytes(p->end() - 2, p->end())), hex(Bytes{'o', 'k'}));
  EXPECT_EQ((*p)[0], 0x32);
}

// --- per-session queue (docs/configuration.md max_queued_messages) ---

TEST(Limits06, OfflineQueueDropsOldestBeyondMaxQueuedMessages) {
  GW_START_BROKER(gw, "  max_queued_messages: 2\n");
  {
    RawClient sub(gw.port());
    ASSERT_TRUE(handshake(sub, connect_v5("sub", true, ConnectProps{.session_expiry = 60})));
    ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce));
    sub.send(Bytes{0xe0, 0x00});
    ASSERT_TRUE(closed(sub));
  }
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  for (std::uint16_t i = 1; i <= 3; ++i) {
    pub.send(publish_packet("t/a", std::string(1, static_cast<char>('0' + i)), QoS::AtLeastOnce, i));
    ASSERT_TRUE(received(pub, ack_bytes(0x40, i)));
  }
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub", false, ConnectProps{.session_expiry = 60}),
                        connack_v5_default(true)));
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, '2'}));
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x02, 0x00, '3'}));
  EXPECT_TRUE(ping(sub));
}

}  // namespace
}  // namespace gw::test::conformance

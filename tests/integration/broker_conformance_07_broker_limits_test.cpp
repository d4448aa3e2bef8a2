// Broker conformance 07: the broker's own limits against misbehaving clients (docs/configuration.md
// "Limits"): connections per listener, connect rate per source address, subscriptions per
// client, topic length and levels. Each refusal with its reason code (MQTT 5 §3.2.2.2 0x9F and
// 0x90 in CONNACK, §3.9.3 0x97 and 0x8F in SUBACK, §3.4.2.1 / §3.5.2.1 0x90 in PUBACK / PUBREC,
// §3.14.2.1 0x90 in DISCONNECT; MQTT 3.1.1 return code 3, SUBACK 0x80, or the close), each hit
// logged once, and clients within the limits unaffected.
#include <algorithm>
#include <memory>
#include <string>

#include "tests/integration/conformance.hpp"

namespace gw::test::conformance {
namespace {

const Bytes kConnackRateV5{0x20, 0x03, 0x00, 0x9f, 0x00};
const Bytes kConnackTopicInvalidV5{0x20, 0x03, 0x00, 0x90, 0x00};

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

// --- connections per listener ---

TEST(BrokerLimits07, ListenerMaxConnectionsRefusesAtAcceptOtherListenerUnaffected) {
  // The first listener (GatewayProcess's) takes one connection; a second one has no limit.
  GW_START_BROKER(gw, "      max_connections: 1\n    - bind: 127.0.0.1:0\n      name: second\n");
  std::uint16_t second = 0;
  ASSERT_TRUE(wait_until([&] {
    second = port_after(gw.process().output(), "listening on 127.0.0.1:", 1);
    return second != 0;
  })) << gw.process().output();
  auto a = std::make_unique<RawClient>(gw.port());
  ASSERT_TRUE(handshake(*a, connect_v5("a")));
  RawClient refused(gw.port());
  EXPECT_TRUE(closed(refused));  // closed at accept: not even a CONNACK
  RawClient b(second);
  ASSERT_TRUE(handshake(b, connect_v311("b")));
  EXPECT_TRUE(ping(*a));
  // Once `a` is gone, its place is free again.
  a.reset();
  EXPECT_TRUE(wait_until([&] {
    RawClient again(gw.port());
    again.send(connect_v5("again"), V::V5);
    return again.expect(connack_v5_default()) == connack_v5_default();
  }));
  EXPECT_EQ(count(gw.process().output(), "limit listener_connections:"), 1U) << gw.process().output();
}

// --- connect rate per source address ---

TEST(BrokerLimits07, ConnectRateRefusesWith0x9FAndReturnCode3OtherAddressesUnaffected) {
  GW_START_BROKER(gw, "  max_connect_rate: 1\n  max_connect_burst: 2\n");
  RawClient a(gw.port());
  ASSERT_TRUE(handshake(a, connect_v5("a")));
  RawClient b(gw.port());
  ASSERT_TRUE(handshake(b, connect_v311("b")));
  // The burst is spent: 127.0.0.1 is over its rate for about a second.
  RawClient c(gw.port());
  c.send(connect_v5("c"), V::V5);
  EXPECT_TRUE(received(c, kConnackRateV5));
  EXPECT_TRUE(closed(c));
  RawClient d(gw.port());
  d.send(connect_v311("d"), V::V311);
  EXPECT_TRUE(received(d, connack_v311(false, 0x03)));
  EXPECT_TRUE(closed(d));
  // Another address, and the clients already connected, are not affected.
  RawClient other(gw.port(), 2);
  ASSERT_TRUE(handshake(other, connect_v5("other")));
  EXPECT_TRUE(ping(a));
  EXPECT_TRUE(ping(b));
  // The bucket refills at one connection per second.
  EXPECT_TRUE(wait_until([&] {
    RawClient again(gw.port());
    again.send(connect_v5("again"), V::V5);
    return again.expect(connack_v5_default()) == connack_v5_default();
  }, 5s));
  // Logged once, however many refusals (all within the first minute).
  EXPECT_EQ(count(gw.process().output(), "limit connect_rate:"), 1U) << gw.process().output();
}

TEST(BrokerLimits07, ConnectRateZeroIsNoLimit) {
  GW_START_BROKER(gw, "  max_connect_rate: 0\n  max_connect_burst: 1\n");
  for (int i = 0; i < 10; ++i) {
    RawClient c(gw.port());
    ASSERT_TRUE(handshake(c, connect_v5("c" + std::to_string(i)))) << i;
  }
}

// --- subscriptions per client ---

TEST(BrokerLimits07, SubscriptionsBeyondTheMaximumGet0x97Or0x80OthersUnaffected) {
  GW_START_BROKER(gw, "  max_subscriptions_per_client: 2\n");
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  Subscribe s{.packet_id = PacketId{1}, .subscriptions = {}, .props = {}};
  for (const char* f : {"t/1", "t/2", "t/3"}) {
    s.subscriptions.push_back(Subscription{filter(f), SubscriptionOptions{.max_qos = QoS::AtLeastOnce}});
  }
  c.send(s, V::V5);
  EXPECT_TRUE(received(c, suback_bytes(1, {0x01, 0x01, 0x97})));
  // Replacing a held subscription is not a new one.
  EXPECT_TRUE(subscribed(c, 2, "t/1", QoS::AtMostOnce));

  RawClient v3(gw.port());
  ASSERT_TRUE(handshake(v3, connect_v311("v3")));
  s.packet_id = PacketId{3};
  v3.send(s, V::V311);
  EXPECT_TRUE(received(v3, suback_bytes(3, {0x01, 0x01, 0x80}, V::V311)));

  // Deliveries on the granted filters go on; the refused one delivers nothing.
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("t/3", "no"));
  pub.send(publish_packet("t/2", "yes"));
  EXPECT_TRUE(received(c, publish_bytes({.topic = "t/2", .payload = "yes"})));
  EXPECT_TRUE(ping(c));
}

// --- topic length and levels ---

TEST(BrokerLimits07, PublishOverTopicLimitsRefused0x90InAcksAndDisconnectForQos0) {
  GW_START_BROKER(gw, "  max_topic_length: 16\n  max_topic_levels: 3\n");
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "#", QoS::AtLeastOnce));
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  c.send(publish_packet("0123456789abcdefg", "long", QoS::AtLeastOnce, 1));  // 17 bytes
  EXPECT_TRUE(received(c, ack_bytes(0x40, 1, 0x90)));
  c.send(publish_packet("a/b/c/d", "deep", QoS::ExactlyOnce, 2));  // 4 levels
  EXPECT_TRUE(received(c, ack_bytes(0x50, 2, 0x90)));
  // At the limits exactly: delivered.
  c.send(publish_packet("0123456789abcdef", "ok", QoS::AtLeastOnce, 3));
  EXPECT_TRUE(received(c, ack_bytes(0x40, 3)));
  EXPECT_TRUE(received(sub, publish_bytes({.topic = "0123456789abcdef", .payload = "ok", .qos = 1, .id = 1})));
  // QoS 0 has no acknowledgement to carry the refusal.
  c.send(publish_packet("a/b/c/d", "deep"));
  EXPECT_TRUE(disconnected(c, 0x90));
  // The subscriber saw nothing else and is still connected.
  sub.send(ack_bytes(0x40, 1));
  EXPECT_TRUE(ping(sub));
}

TEST(BrokerLimits07, Mqtt311PublishOverTopicLimitsClosesTheConnection) {
  GW_START_BROKER(gw, "  max_topic_levels: 2\n");
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v311("c")));
  c.send(publish_packet("a/b/c", "deep", QoS::AtLeastOnce, 1), V::V311);
  EXPECT_TRUE(closed(c));
  RawClient other(gw.port());
  ASSERT_TRUE(handshake(other, connect_v311("other")));
  EXPECT_TRUE(ping(other));
}

TEST(BrokerLimits07, FiltersOverTopicLimitsGet0x8FOr0x80) {
  GW_START_BROKER(gw, "  max_topic_levels: 3\n");
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  Subscribe s{.packet_id = PacketId{1}, .subscriptions = {}, .props = {}};
  for (const char* f : {"a/b/#", "a/b/c/#", "$share/g/a/b/c"}) {
    s.subscriptions.push_back(Subscription{filter(f), SubscriptionOptions{.max_qos = QoS::AtMostOnce}});
  }
  c.send(s, V::V5);
  EXPECT_TRUE(received(c, suback_bytes(1, {0x00, 0x8f, 0x00})));
  RawClient v3(gw.port());
  ASSERT_TRUE(handshake(v3, connect_v311("v3")));
  v3.send(subscribe_packet(2, "a/b/c/d", QoS::AtMostOnce), V::V311);
  EXPECT_TRUE(received(v3, suback_bytes(2, {0x80}, V::V311)));
}

TEST(BrokerLimits07, WillTopicOverTopicLimitsRefusesTheConnect) {
  GW_START_BROKER(gw, "  max_topic_length: 8\n");
  auto with_will = [](Connect c) {
    c.will = Will{.topic = topic("will/too/long"), .payload = "gone"};
    return c;
  };
  RawClient v5(gw.port());
  v5.send(with_will(connect_v5("v5")), V::V5);
  EXPECT_TRUE(received(v5, kConnackTopicInvalidV5));
  EXPECT_TRUE(closed(v5));
  // MQTT 3.1.1 has no return code for it [MQTT-3.2.2-6]: closed without a CONNACK.
  RawClient v3(gw.port());
  v3.send(with_will(connect_v311("v3")), V::V311);
  EXPECT_TRUE(closed(v3));
}

// The same limit seen by the stock Mosquitto client: PUBACK reason 0x90 (144); within the
// limit 0x10 (16, no subscribers).
TEST(BrokerLimits07, MosquittoPubSeesTopicNameInvalid) {
  GW_START_BROKER(gw, "  max_topic_levels: 2\n");
  const auto ok = run({"mosquitto_pub", "-d", "-h", "127.0.0.1", "-p", gw.port_str(), "-V", "5",
                       "-q", "1", "-t", "a/b", "-m", "fine"},
                      10s);
  EXPECT_EQ(ok.code, 0) << ok.output;
  EXPECT_NE(ok.output.find("received PUBACK (Mid: 1, RC:16)"), std::string::npos) << ok.output;
  const auto deep = run({"mosquitto_pub", "-d", "-h", "127.0.0.1", "-p", gw.port_str(), "-V", "5",
                         "-q", "1", "-t", "a/b/c", "-m", "too deep"},
                        10s);
  EXPECT_NE(deep.output.find("received PUBACK (Mid: 1, RC:144)"), std::string::npos) << deep.output;
}

}  // namespace
}  // namespace gw::test::conformance

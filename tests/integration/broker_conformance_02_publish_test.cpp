// Broker conformance 02: PUBLISH: forwarding byte-exact, acknowledgement reason codes, message
// properties, topic aliases, malformed and forbidden PUBLISH packets.
// MQTT 3.1.1 §3.3, MQTT 5 §3.3, §4.13.
#include "tests/integration/conformance.hpp"

namespace gw::test::conformance {
namespace {

// --- forwarding, byte-exact ---

TEST(Publish02, Qos0V5ForwardedByteExact) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("t/a", "hi"));
  // 30 | rl 8 | topic "t/a" | property length 0 | "hi"
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x08, 0x00, 0x03, 't', '/', 'a', 0x00, 'h', 'i'}));
}

TEST(Publish02, Qos0V311ForwardedByteExact) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v311("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtMostOnce, V::V311));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v311("pub")));
  pub.send(publish_packet("t/a", "hi"), V::V311);
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'a', 'h', 'i'}));
}

TEST(Publish02, V5PublisherToV311SubscriberDropsProperties) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v311("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtMostOnce, V::V311));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  auto p = publish_packet("t/a", "hi");
  p.props.message.content_type = "text/plain";
  pub.send(p);
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'a', 'h', 'i'}));
}

// --- acknowledgements (MQTT 5 §3.4.2.1, §3.5.2.1) ---

TEST(Publish02, Qos1WithoutSubscribersV5PubackReason0x10) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("nobody/here", "x", QoS::AtLeastOnce, 1));
  EXPECT_TRUE(received(pub, Bytes{0x40, 0x03, 0x00, 0x01, 0x10}));
}

TEST(Publish02, Qos1WithoutSubscribersV311PubackHasNoReasonCode) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v311("pub")));
  pub.send(publish_packet("nobody/here", "x", QoS::AtLeastOnce, 1), V::V311);
  EXPECT_TRUE(received(pub, Bytes{0x40, 0x02, 0x00, 0x01}));
}

TEST(Publish02, Qos1WithSubscriberV5PubackSuccessShortForm) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/#", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("t/a", "x", QoS::AtLeastOnce, 0x1234));
  // §3.4.2.1: Reason Code and Property Length omitted for Success without properties.
  EXPECT_TRUE(received(pub, Bytes{0x40, 0x02, 0x12, 0x34}));
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'a', 0x00, 'x'}));
}

TEST(Publish02, Qos2WithoutSubscribersV5PubrecReason0x10) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("nobody/here", "x", QoS::ExactlyOnce, 1));
  EXPECT_TRUE(received(pub, Bytes{0x50, 0x03, 0x00, 0x01, 0x10}));
}

// --- Payload Format Indicator (MQTT 5 §3.3.2.3.2) ---

TEST(Publish02, PayloadFormatUtf8WithInvalidUtf8Qos1Puback0x99NotForwarded) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  auto p = publish_packet("t/a", "\xff\xfe", QoS::AtLeastOnce, 7);
  p.props.message.payload_format = PayloadFormat::Utf8;
  pub.send(p);
  EXPECT_TRUE(received(pub, Bytes{0x40, 0x03, 0x00, 0x07, 0x99}));
  EXPECT_TRUE(ping(sub));  // nothing was forwarded
}

TEST(Publish02, PayloadFormatUtf8WithInvalidUtf8Qos2Pubrec0x99) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  auto p = publish_packet("t/a", "\xc0\x80", QoS::ExactlyOnce, 8);
  p.props.message.payload_format = PayloadFormat::Utf8;
  pub.send(p);
  EXPECT_TRUE(received(pub, Bytes{0x50, 0x03, 0x00, 0x08, 0x99}));
}

TEST(Publish02, PayloadFormatUtf8WithValidUtf8ForwardedWithIndicator) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  auto p = publish_packet("t/a", "\xc3\xa9");
  p.props.message.payload_format = PayloadFormat::Utf8;
  pub.send(p);
  // [MQTT-3.3.2-4]: the Payload Format Indicator is forwarded unaltered.
  EXPECT_TRUE(received(sub, publish_bytes({.topic = "t/a", .payload = "\xc3\xa9", .props = {0x01, 0x01}})));
}

// --- message properties (MQTT 5 §3.3.2.3) ---

TEST(Publish02, MessagePropertiesForwardedUnalteredUserPropertyOrderKept) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  auto p = publish_packet("t/a", "x");
  p.props.message.content_type = "ct";
  p.props.message.response_topic = "r/1";
  p.props.message.correlation_data = "c";
  p.props.message.user = {{"k", "2"}, {"k", "1"}};
  pub.send(p);
  // [MQTT-3.3.2-15..20], [MQTT-3.3.2-17/18]: forwarded unaltered, User Properties in order.
  const Bytes props{0x03, 0x00, 0x02, 'c', 't',          // Content Type
                    0x08, 0x00, 0x03, 'r', '/', '1',     // Response Topic
                    0x09, 0x00, 0x01, 'c',               // Correlation Data
                    0x26, 0x00, 0x01, 'k', 0x00, 0x01, '2',   // User Property k=2
                    0x26, 0x00, 0x01, 'k', 0x00, 0x01, '1'};  // User Property k=1
  EXPECT_TRUE(received(sub, publish_bytes({.topic = "t/a", .payload = "x", .props = props})));
}

TEST(Publish02, MessageExpiryIntervalForwarded) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  auto p = publish_packet("t/a", "x");
  p.props.message.message_expiry = 60;
  pub.send(p);
  // [MQTT-3.3.2-6]: the interval minus the time waited (none here, in whole seconds).
  EXPECT_TRUE(received(sub, publish_bytes({.topic = "t/a", .payload = "x",
                                           .props = {0x02, 0x00, 0x00, 0x00, 0x3c}})));
}

// --- topic aliases from the client (MQTT 5 §3.3.2.3.4) ---

TEST(Publish02, TopicAliasSetThenReusedWithEmptyTopic) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  auto set = publish_packet("t/a", "1");
  set.props.topic_alias = 1;
  pub.send(set);
  auto reuse = publish_packet("t/a", "2");
  reuse.topic = TopicName{};
  reuse.props.topic_alias = 1;
  pub.send(reuse);
  // Aliases belong to the publisher's connection: subscribers get the full topic, no alias.
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'a', 0x00, '1'}));
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'a', 0x00, '2'}));
}

TEST(Publish02, TopicAliasRemappedToAnotherTopic) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/+", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  auto first = publish_packet("t/a", "1");
  first.props.topic_alias = 3;
  pub.send(first);
  auto second = publish_packet("t/b", "2");
  second.props.topic_alias = 3;
  pub.send(second);
  auto reuse = publish_packet("t/a", "3");
  reuse.topic = TopicName{};
  reuse.props.topic_alias = 3;
  pub.send(reuse);
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'a', 0x00, '1'}));
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'b', 0x00, '2'}));
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'b', 0x00, '3'}));
}

TEST(Publish02, TopicAliasAboveMaximumDisconnect0x94) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  auto p = publish_packet("t/a", "x");
  p.props.topic_alias = 11;  // the CONNACK announced 10
  pub.send(p);
  // [MQTT-3.3.2-9]: DISCONNECT 0x94 Topic Alias invalid.
  EXPECT_TRUE(disconnected(pub, 0x94));
}

TEST(Publish02, TopicAliasWhenMaximumIsZeroDisconnect0x94) {
  GW_START_BROKER(gw, "  topic_alias_maximum: 0\n");
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub"),
                        Bytes{0x20, 0x0b, 0x00, 0x00, 0x08, 0x21, 0x00, 0x40, 0x27, 0x00, 0x04,
                              0x00, 0x00}));
  auto p = publish_packet("t/a", "x");
  p.props.topic_alias = 1;
  pub.send(p);
  EXPECT_TRUE(disconnected(pub, 0x94));
}

TEST(Publish02, TopicAliasZeroIsProtocolError) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  // [MQTT-3.3.2-8]: a Topic Alias of 0 is not permitted; a forbidden property value is a
  // Protocol Error (§2.2.2.2). (mosquitto answers 0x94 here; both are defensible.)
  pub.send(Bytes{0x30, 0x09, 0x00, 0x03, 't', '/', 'a', 0x03, 0x23, 0x00, 0x00});
  EXPECT_TRUE(disconnected(pub, 0x82));
}

TEST(Publish02, UnknownTopicAliasIsProtocolError0x82) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  auto p = publish_packet("t/a", "x");
  p.topic = TopicName{};
  p.props.topic_alias = 5;
  pub.send(p);
  EXPECT_TRUE(disconnected(pub, 0x82));
}

TEST(Publish02, EmptyTopicWithoutAliasIsProtocolError0x82) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  // §3.3.2.3.4: a zero-length Topic Name without a Topic Alias is a Protocol Error.
  pub.send(Bytes{0x30, 0x04, 0x00, 0x00, 0x00, 'x'});
  EXPECT_TRUE(disconnected(pub, 0x82));
}

// --- forbidden and malformed PUBLISH (MQTT 5 §4.13) ---

TEST(Publish02, SubscriptionIdentifierFromClientIsProtocolError0x82) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  // [MQTT-3.3.4-6]: a PUBLISH from a client must not contain a Subscription Identifier (0x0B).
  pub.send(Bytes{0x30, 0x07, 0x00, 0x01, 't', 0x02, 0x0b, 0x01, 'x'});
  EXPECT_TRUE(disconnected(pub, 0x82));
}

TEST(Publish02, WildcardInTopicNameDisconnect0x90) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  // [MQTT-3.3.2-2]: the Topic Name must not contain wildcard characters.
  pub.send(Bytes{0x30, 0x06, 0x00, 0x03, 't', '/', '+', 0x00});
  EXPECT_TRUE(disconnected(pub, 0x90));
}

TEST(Publish02, WildcardInTopicNameV311Closed) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v311("pub")));
  pub.send(Bytes{0x30, 0x05, 0x00, 0x03, 't', '/', '#'});
  EXPECT_TRUE(closed(pub));
}

TEST(Publish02, Qos3IsMalformedDisconnect0x81) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  // [MQTT-3.3.1-4]: a PUBLISH must not have both QoS bits set.
  pub.send(Bytes{0x36, 0x07, 0x00, 0x01, 't', 0x00, 0x01, 0x00, 'x'});
  EXPECT_TRUE(disconnected(pub, 0x81));
}

TEST(Publish02, Qos3V311Closed) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v311("pub")));
  pub.send(Bytes{0x36, 0x06, 0x00, 0x01, 't', 0x00, 0x01, 'x'});
  EXPECT_TRUE(closed(pub));
}

TEST(Publish02, RemainingLengthOfFiveBytesIsMalformedDisconnect0x81) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  // MQTT 5 §1.5.5: a Variable Byte Integer has at most four bytes.
  pub.send(Bytes{0x30, 0xff, 0xff, 0xff, 0xff, 0x01});
  EXPECT_TRUE(disconnected(pub, 0x81));
}

TEST(Publish02, NonMinimalRemainingLengthIsMalformedDisconnect0x81) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  // [MQTT-1.5.5-1]: the minimum number of bytes must be used (0x80 0x00 encodes 0).
  pub.send(Bytes{0xc0, 0x80, 0x00});
  EXPECT_TRUE(disconnected(pub, 0x81));
}

TEST(Publish02, TruncatedTopicIsMalformedDisconnect0x81) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  // The topic length (5) runs past the packet's Remaining Length (3).
  pub.send(Bytes{0x30, 0x03, 0x00, 0x05, 't'});
  EXPECT_TRUE(disconnected(pub, 0x81));
}

TEST(Publish02, PubrelWithReservedFlags0IsMalformedDisconnect0x81) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  // MQTT 5 §2.1.3 [MQTT-3.6.1-1]: PUBREL flags are 0010.
  pub.send(Bytes{0x60, 0x02, 0x00, 0x01});
  EXPECT_TRUE(disconnected(pub, 0x81));
}

TEST(Publish02, SubscribeWithReservedFlags0V311Closed) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v311("c")));
  // MQTT 3.1.1 §3.8.1 [MQTT-3.8.1-1]: SUBSCRIBE flags are 0010, else close.
  c.send(Bytes{0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 't', 0x00});
  EXPECT_TRUE(closed(c));
}

TEST(Publish02, QosAboveMaximumQosDisconnect0x9B) {
  GW_START_BROKER(gw, "  maximum_qos: 1\n");
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub"),
                        Bytes{0x20, 0x10, 0x00, 0x00, 0x0d, 0x21, 0x00, 0x40, 0x24, 0x01, 0x27,
                              0x00, 0x04, 0x00, 0x00, 0x22, 0x00, 0x0a}));
  pub.send(publish_packet("t/a", "x", QoS::ExactlyOnce, 1));
  // [MQTT-3.2.2-12]: QoS above Maximum QoS -> DISCONNECT 0x9B QoS not supported.
  EXPECT_TRUE(disconnected(pub, 0x9b));
}

TEST(Publish02, RetainWhenNotAvailableDisconnect0x9A) {
  GW_START_BROKER(gw, "  retain_available: false\n");
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub"),
                        Bytes{0x20, 0x10, 0x00, 0x00, 0x0d, 0x21, 0x00, 0x40, 0x25, 0x00, 0x27,
                              0x00, 0x04, 0x00, 0x00, 0x22, 0x00, 0x0a}));
  pub.send(publish_packet("t/a", "x", QoS::AtMostOnce, 0, true));
  // [MQTT-3.2.2-15]: RETAIN when Retain Available is 0 -> DISCONNECT 0x9A.
  EXPECT_TRUE(disconnected(pub, 0x9a));
}

TEST(Publish02, DupFlagNotPropagatedToSubscribers) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  auto p = publish_packet("t/a", "x", QoS::AtLeastOnce, 1);
  p.dup = true;
  pub.send(p);
  ASSERT_TRUE(received(pub, Bytes{0x40, 0x02, 0x00, 0x01}));
  // [MQTT-3.3.1-3]: the DUP flag of an incoming PUBLISH is not propagated: DUP 0.
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, 'x'}));
}

TEST(Publish02, TopicAliasEqualToMaximumAccepted) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  auto p = publish_packet("t/a", "x");
  p.props.topic_alias = 10;
  pub.send(p);
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'a', 0x00, 'x'}));
}

TEST(Publish02, Qos1PacketIdZeroIsProtocolError0x82) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  // [MQTT-2.2.1-3]: a QoS > 0 PUBLISH has a non-zero Packet Identifier.
  pub.send(Bytes{0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x00, 0x00, 'x'});
  EXPECT_TRUE(disconnected(pub, 0x82));
}

TEST(Publish02, Qos0WithDupIsProtocolError0x82) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  // [MQTT-3.3.1-2]: DUP must be 0 for QoS 0.
  pub.send(Bytes{0x38, 0x05, 0x00, 0x01, 't', 0x00, 'x'});
  EXPECT_TRUE(disconnected(pub, 0x82));
}

}  // namespace
}  // namespace gw::test::conformance

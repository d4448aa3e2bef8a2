// Broker conformance 03: SUBSCRIBE / UNSUBSCRIBE: SUBACK and UNSUBACK codes, topic matching,
// retained messages and Retain Handling, No Local, Retain As Published, Subscription Identifiers,
// overlapping and shared subscriptions, negotiated capabilities.
// MQTT 3.1.1 §3.8-§3.11, §4.7; MQTT 5 §3.8-§3.11, §4.7, §4.8.
#include <set>

#include "tests/integration/conformance.hpp"

namespace gw::test::conformance {
namespace {

// --- SUBACK (MQTT 5 §3.9) ---

TEST(Subscribe03, SubackGrantsRequestedQosPerFilterV5) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  Subscribe s{.packet_id = PacketId{0x0102}, .subscriptions = {}, .props = {}};
  s.subscriptions.push_back({filter("a"), {.max_qos = QoS::AtMostOnce}});
  s.subscriptions.push_back({filter("b/+"), {.max_qos = QoS::AtLeastOnce}});
  s.subscriptions.push_back({filter("c/#"), {.max_qos = QoS::ExactlyOnce}});
  c.send(s);
  EXPECT_TRUE(received(c, Bytes{0x90, 0x06, 0x01, 0x02, 0x00, 0x00, 0x01, 0x02}));
}

TEST(Subscribe03, SubackGrantsRequestedQosPerFilterV311) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v311("c")));
  Subscribe s{.packet_id = PacketId{7}, .subscriptions = {}, .props = {}};
  s.subscriptions.push_back({filter("a"), {.max_qos = QoS::ExactlyOnce}});
  s.subscriptions.push_back({filter("b"), {.max_qos = QoS::AtLeastOnce}});
  c.send(s, V::V311);
  EXPECT_TRUE(received(c, Bytes{0x90, 0x04, 0x00, 0x07, 0x02, 0x01}));
}

TEST(Subscribe03, MaximumQosLowersGrantedQos) {
  GW_START_BROKER(gw, "  maximum_qos: 1\n");
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v311("c")));
  c.send(subscribe_packet(1, "a", QoS::ExactlyOnce), V::V311);
  EXPECT_TRUE(received(c, Bytes{0x90, 0x03, 0x00, 0x01, 0x01}));
}

TEST(Subscribe03, SubscribeWithoutFiltersIsProtocolError0x82) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  // [MQTT-3.8.3-2]: at least one Topic Filter; none is a Protocol Error.
  c.send(Bytes{0x82, 0x03, 0x00, 0x01, 0x00});
  EXPECT_TRUE(disconnected(c, 0x82));
}

TEST(Subscribe03, InvalidTopicFilterDisconnect0x8F) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  // [MQTT-4.7.1-1]: '#' must be the last character. The codec classifies a broken filter as
  // Topic Filter invalid (0x8F), which the broker passes on.
  c.send(Bytes{0x82, 0x09, 0x00, 0x01, 0x00, 0x00, 0x03, 'a', '#', 'b', 0x00});
  EXPECT_TRUE(disconnected(c, 0x8f));
}

TEST(Subscribe03, InvalidTopicFilterV311Closed) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v311("c")));
  // "a/#/b": '#' must be last [MQTT-4.7.1-1]; MQTT 3.1.1 has no DISCONNECT: the server closes.
  c.send(Bytes{0x82, 0x0a, 0x00, 0x01, 0x00, 0x05, 'a', '/', '#', '/', 'b', 0x00});
  EXPECT_TRUE(closed(c));
}

TEST(Subscribe03, SubscriptionIdentifierWhenDisabledDisconnect0xA1) {
  GW_START_BROKER(gw, "  subscription_identifiers: false\n");
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c"),
                        Bytes{0x20, 0x10, 0x00, 0x00, 0x0d, 0x21, 0x00, 0x40, 0x27, 0x00, 0x04,
                              0x00, 0x00, 0x22, 0x00, 0x0a, 0x29, 0x00}));
  c.send(subscribe_packet(1, "a", QoS::AtMostOnce, {}, 5));
  // MQTT 5 §3.2.2.3.12: Subscription Identifiers not supported -> DISCONNECT 0xA1.
  EXPECT_TRUE(disconnected(c, 0xa1));
}

TEST(Subscribe03, WildcardWhenDisabledSuback0xA2) {
  GW_START_BROKER(gw, "  wildcard_subscriptions: false\n");
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c"),
                        Bytes{0x20, 0x10, 0x00, 0x00, 0x0d, 0x21, 0x00, 0x40, 0x27, 0x00, 0x04,
                              0x00, 0x00, 0x22, 0x00, 0x0a, 0x28, 0x00}));
  Subscribe s{.packet_id = PacketId{1}, .subscriptions = {}, .props = {}};
  s.subscriptions.push_back({filter("a/#"), {}});
  s.subscriptions.push_back({filter("a/b"), {.max_qos = QoS::AtLeastOnce}});
  c.send(s);
  EXPECT_TRUE(received(c, Bytes{0x90, 0x05, 0x00, 0x01, 0x00, 0xa2, 0x01}));
}

TEST(Subscribe03, WildcardWhenDisabledV311Suback0x80) {
  GW_START_BROKER(gw, "  wildcard_subscriptions: false\n");
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v311("c")));
  c.send(subscribe_packet(1, "a/+", QoS::AtMostOnce), V::V311);
  EXPECT_TRUE(received(c, Bytes{0x90, 0x03, 0x00, 0x01, 0x80}));
}

TEST(Subscribe03, SharedWhenDisabledSuback0x9E) {
  GW_START_BROKER(gw, "  shared_subscriptions: false\n");
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c"),
                        Bytes{0x20, 0x10, 0x00, 0x00, 0x0d, 0x21, 0x00, 0x40, 0x27, 0x00, 0x04,
                              0x00, 0x00, 0x22, 0x00, 0x0a, 0x2a, 0x00}));
  c.send(subscribe_packet(1, "$share/g/a", QoS::AtMostOnce));
  EXPECT_TRUE(received(c, Bytes{0x90, 0x04, 0x00, 0x01, 0x00, 0x9e}));
}

// --- UNSUBACK (MQTT 5 §3.11) ---

TEST(Subscribe03, UnsubackSuccessAndNoSubscriptionExisted0x11) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  ASSERT_TRUE(subscribed(c, 1, "a/b", QoS::AtMostOnce));
  Unsubscribe u{.packet_id = PacketId{2}, .filters = {filter("a/b"), filter("x/y")}, .props = {}};
  c.send(u);
  EXPECT_TRUE(received(c, Bytes{0xb0, 0x05, 0x00, 0x02, 0x00, 0x00, 0x11}));
}

TEST(Subscribe03, UnsubackV311HasNoPayload) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v311("c")));
  Unsubscribe u{.packet_id = PacketId{9}, .filters = {filter("never/subscribed")}, .props = {}};
  c.send(u, V::V311);
  // MQTT 3.1.1 §3.11: packet identifier only, even for a filter that had no subscription.
  EXPECT_TRUE(received(c, Bytes{0xb0, 0x02, 0x00, 0x09}));
}

TEST(Subscribe03, UnsubscribeStopsDelivery) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  ASSERT_TRUE(subscribed(c, 1, "a/b", QoS::AtMostOnce));
  Unsubscribe u{.packet_id = PacketId{2}, .filters = {filter("a/b")}, .props = {}};
  c.send(u);
  ASSERT_TRUE(received(c, Bytes{0xb0, 0x04, 0x00, 0x02, 0x00, 0x00}));
  c.send(publish_packet("a/b", "x", QoS::AtLeastOnce, 3));
  EXPECT_TRUE(received(c, Bytes{0x40, 0x03, 0x00, 0x03, 0x10}));
  EXPECT_TRUE(ping(c));
}

// --- topic matching (MQTT 5 §4.7) ---

TEST(Subscribe03, WildcardsMatchLevelsAndSkipDollarTopics) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "#", QoS::AtMostOnce));
  ASSERT_TRUE(subscribed(sub, 2, "+/x", QoS::AtMostOnce));
  RawClient dollar(gw.port());
  ASSERT_TRUE(handshake(dollar, connect_v5("dollar")));
  ASSERT_TRUE(subscribed(dollar, 1, "$foo/#", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("$foo/x", "1"));
  pub.send(publish_packet("a/x", "2"));
  ASSERT_TRUE(ping(pub));
  // [MQTT-4.7.2-1]: '#' and '+/x' do not match "$foo/x". "a/x" matches both filters: one copy
  // (MQTT 5 §3.3.4, overlapping subscriptions).
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 'a', '/', 'x', 0x00, '2'}));
  EXPECT_TRUE(ping(sub));
  EXPECT_TRUE(received(dollar, Bytes{0x30, 0x0a, 0x00, 0x06, '$', 'f', 'o', 'o', '/', 'x', 0x00, '1'}));
}

TEST(Subscribe03, MultiLevelWildcardMatchesParentLevel) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "a/#", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("a", "1"));
  pub.send(publish_packet("ab", "2"));
  pub.send(publish_packet("a/b/c", "3"));
  ASSERT_TRUE(ping(pub));
  // [MQTT-4.7.1-2]: "a/#" matches "a" itself; not "ab".
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x05, 0x00, 0x01, 'a', 0x00, '1'}));
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x09, 0x00, 0x05, 'a', '/', 'b', '/', 'c', 0x00, '3'}));
  EXPECT_TRUE(ping(sub));
}

// --- retained messages (MQTT 5 §3.3.1.3) ---

TEST(Subscribe03, RetainedMessageDeliveredOnSubscribeWithRetainSetV5) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("r/a", "v", QoS::AtMostOnce, 0, true));
  ASSERT_TRUE(ping(pub));
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "r/#", QoS::AtMostOnce));
  // [MQTT-3.3.1-9]: sent because of a new subscription: RETAIN 1.
  EXPECT_TRUE(received(sub, Bytes{0x31, 0x07, 0x00, 0x03, 'r', '/', 'a', 0x00, 'v'}));
}

TEST(Subscribe03, RetainedMessageDeliveredOnSubscribeWithRetainSetV311) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v311("pub")));
  pub.send(publish_packet("r/a", "v", QoS::AtLeastOnce, 1, true), V::V311);
  ASSERT_TRUE(received(pub, Bytes{0x40, 0x02, 0x00, 0x01}));
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v311("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "r/a", QoS::AtLeastOnce, V::V311));
  EXPECT_TRUE(received(sub, Bytes{0x33, 0x08, 0x00, 0x03, 'r', '/', 'a', 0x00, 0x01, 'v'}));
}

TEST(Subscribe03, RetainedMessageDowngradedToSubscriptionQos) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("r/a", "v", QoS::ExactlyOnce, 1, true));
  ASSERT_TRUE(received(pub, Bytes{0x50, 0x03, 0x00, 0x01, 0x10}));
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "r/a", QoS::AtMostOnce));
  EXPECT_TRUE(received(sub, Bytes{0x31, 0x07, 0x00, 0x03, 'r', '/', 'a', 0x00, 'v'}));
}

TEST(Subscribe03, RetainClearedOnNormalForwarding) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "r/a", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("r/a", "v", QoS::AtMostOnce, 0, true));
  // [MQTT-3.3.1-12]: without Retain As Published, RETAIN is 0 on an established subscription.
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 'r', '/', 'a', 0x00, 'v'}));
}

TEST(Subscribe03, RetainClearedOnNormalForwardingV311) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v311("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "r/a", QoS::AtMostOnce, V::V311));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v311("pub")));
  pub.send(publish_packet("r/a", "v", QoS::AtMostOnce, 0, true), V::V311);
  // MQTT 3.1.1 [MQTT-3.3.1-9]: RETAIN 0 when sent because of an established subscription.
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x06, 0x00, 0x03, 'r', '/', 'a', 'v'}));
}

TEST(Subscribe03, RetainAsPublishedKeepsRetainFlag) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "r/a", QoS::AtMostOnce, V::V5, {.retain_as_published = true}));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("r/a", "v", QoS::AtMostOnce, 0, true));
  pub.send(publish_packet("r/a", "w"));
  // [MQTT-3.3.1-13]: RETAIN as published: 1 for the first, 0 for the second.
  EXPECT_TRUE(received(sub, Bytes{0x31, 0x07, 0x00, 0x03, 'r', '/', 'a', 0x00, 'v'}));
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 'r', '/', 'a', 0x00, 'w'}));
}

TEST(Subscribe03, EmptyRetainedPayloadDeletesRetainedMessage) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("r/a", "v", QoS::AtMostOnce, 0, true));
  pub.send(publish_packet("r/a", "", QoS::AtMostOnce, 0, true));
  ASSERT_TRUE(ping(pub));
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  // [MQTT-3.3.1-6], [MQTT-3.3.1-7]: a zero-byte retained payload removes the retained message.
  ASSERT_TRUE(subscribed(sub, 1, "r/#", QoS::AtMostOnce));
  EXPECT_TRUE(ping(sub));
}

TEST(Subscribe03, RetainHandling0SendsOnEverySubscribe) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("r/a", "v", QoS::AtMostOnce, 0, true));
  ASSERT_TRUE(ping(pub));
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  const Bytes retained{0x31, 0x07, 0x00, 0x03, 'r', '/', 'a', 0x00, 'v'};
  ASSERT_TRUE(subscribed(sub, 1, "r/a", QoS::AtMostOnce));
  EXPECT_TRUE(received(sub, retained));
  ASSERT_TRUE(subscribed(sub, 2, "r/a", QoS::AtMostOnce));
  EXPECT_TRUE(received(sub, retained));
}

TEST(Subscribe03, RetainHandling1SendsOnlyForNewSubscription) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("r/a", "v", QoS::AtMostOnce, 0, true));
  ASSERT_TRUE(ping(pub));
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  const SubscriptionOptions rh1{.retain_handling = RetainHandling::SendOnNewSubscribe};
  ASSERT_TRUE(subscribed(sub, 1, "r/a", QoS::AtMostOnce, V::V5, rh1));
  EXPECT_TRUE(received(sub, Bytes{0x31, 0x07, 0x00, 0x03, 'r', '/', 'a', 0x00, 'v'}));
  // [MQTT-3.3.1-10]: the subscription already existed: no retained message this time.
  ASSERT_TRUE(subscribed(sub, 2, "r/a", QoS::AtMostOnce, V::V5, rh1));
  EXPECT_TRUE(ping(sub));
}

TEST(Subscribe03, RetainHandling2NeverSendsRetained) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("r/a", "v", QoS::AtMostOnce, 0, true));
  ASSERT_TRUE(ping(pub));
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  // [MQTT-3.3.1-11]: Retain Handling 2: do not send retained messages.
  ASSERT_TRUE(subscribed(sub, 1, "r/a", QoS::AtMostOnce, V::V5,
                         {.retain_handling = RetainHandling::DoNotSend}));
  EXPECT_TRUE(ping(sub));
}

TEST(Subscribe03, RetainedNotSentForSharedSubscription) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("r/a", "v", QoS::AtMostOnce, 0, true));
  ASSERT_TRUE(ping(pub));
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  // MQTT 5 §4.8.2: retained messages are not sent when a shared subscription is made.
  ASSERT_TRUE(subscribed(sub, 1, "$share/g/r/a", QoS::AtMostOnce));
  EXPECT_TRUE(ping(sub));
}

// --- subscription options (MQTT 5 §3.8.3.1) ---

TEST(Subscribe03, NoLocalSuppressesOwnMessagesOnly) {
  GW_START_BROKER(gw);
  RawClient self(gw.port());
  ASSERT_TRUE(handshake(self, connect_v5("self")));
  ASSERT_TRUE(subscribed(self, 1, "t/a", QoS::AtMostOnce, V::V5, {.no_local = true}));
  RawClient other(gw.port());
  ASSERT_TRUE(handshake(other, connect_v5("other")));
  ASSERT_TRUE(subscribed(other, 1, "t/a", QoS::AtMostOnce));
  self.send(publish_packet("t/a", "mine"));
  // [MQTT-3.8.3-3]: not forwarded to the publishing client; others get it.
  EXPECT_TRUE(received(other, Bytes{0x30, 0x0a, 0x00, 0x03, 't', '/', 'a', 0x00, 'm', 'i', 'n', 'e'}));
  EXPECT_TRUE(ping(self));
  other.send(publish_packet("t/a", "his"));
  EXPECT_TRUE(received(self, Bytes{0x30, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 'h', 'i', 's'}));
}

TEST(Subscribe03, WithoutNoLocalOwnMessagesAreDelivered) {
  GW_START_BROKER(gw);
  RawClient self(gw.port());
  ASSERT_TRUE(handshake(self, connect_v5("self")));
  ASSERT_TRUE(subscribed(self, 1, "t/a", QoS::AtMostOnce));
  self.send(publish_packet("t/a", "x"));
  EXPECT_TRUE(received(self, Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'a', 0x00, 'x'}));
}

TEST(Subscribe03, SubscriptionIdentifierDelivered) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtMostOnce, V::V5, {}, 200));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("t/a", "x"));
  // [MQTT-3.3.4-3]: the Subscription Identifier (0x0B, VBI 200 = c8 01) is sent with the message.
  EXPECT_TRUE(received(sub, publish_bytes({.topic = "t/a", .payload = "x", .props = {0x0b, 0xc8, 0x01}})));
}

TEST(Subscribe03, OverlappingSubscriptionsDeliverOneCopyAtMaxQosWithBothIdentifiers) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/#", QoS::AtLeastOnce, V::V5, {}, 1));
  ASSERT_TRUE(subscribed(sub, 2, "t/a", QoS::ExactlyOnce, V::V5, {}, 2));
  ASSERT_TRUE(subscribed(sub, 3, "t/+", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("t/a", "x", QoS::ExactlyOnce, 1));
  ASSERT_TRUE(received(pub, Bytes{0x50, 0x02, 0x00, 0x01}));
  // MQTT 5 §3.3.4 [MQTT-3.3.4-2] and [MQTT-3.3.4-5]: one copy, QoS 2 (the maximum), with the
  // identifiers of both matching subscriptions that have one (order not significant).
  const auto p = sub.read_packet();
  ASSERT_TRUE(p.has_value());
  const Bytes a = publish_bytes({.topic = "t/a", .payload = "x", .qos = 2, .id = 1,
                                 .props = {0x0b, 0x01, 0x0b, 0x02}});
  const Bytes b = publish_bytes({.topic = "t/a", .payload = "x", .qos = 2, .id = 1,
                                 .props = {0x0b, 0x02, 0x0b, 0x01}});
  EXPECT_TRUE(*p == a || *p == b) << hex(*p);
  EXPECT_TRUE(ping(sub));
}

// --- shared subscriptions (MQTT 5 §4.8.2) ---

TEST(Subscribe03, SharedSubscriptionRoundRobinBetweenMembers) {
  GW_START_BROKER(gw);
  RawClient m1(gw.port());
  ASSERT_TRUE(handshake(m1, connect_v5("m1")));
  ASSERT_TRUE(subscribed(m1, 1, "$share/g/t/a", QoS::AtMostOnce));
  RawClient m2(gw.port());
  ASSERT_TRUE(handshake(m2, connect_v5("m2")));
  ASSERT_TRUE(subscribed(m2, 1, "$share/g/t/a", QoS::AtMostOnce));
  RawClient plain(gw.port());
  ASSERT_TRUE(handshake(plain, connect_v5("plain")));
  ASSERT_TRUE(subscribed(plain, 1, "t/a", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  for (const char* payload : {"1", "2", "3", "4"}) pub.send(publish_packet("t/a", payload));
  ASSERT_TRUE(ping(pub));
  auto msg = [](char c) { return Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'a', 0x00, static_cast<std::uint8_t>(c)}; };
  // Each message goes to exactly one member of the group, alternating in join order; the
  // non-shared subscriber gets every message.
  EXPECT_TRUE(received(m1, msg('1')));
  EXPECT_TRUE(received(m1, msg('3')));
  EXPECT_TRUE(received(m2, msg('2')));
  EXPECT_TRUE(received(m2, msg('4')));
  for (char c : {'1', '2', '3', '4'}) EXPECT_TRUE(received(plain, msg(c)));
  EXPECT_TRUE(ping(m1));
  EXPECT_TRUE(ping(m2));
}

TEST(Subscribe03, SubscriptionIdentifierOnRetainedMessage) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("r/a", "v", QoS::AtMostOnce, 0, true));
  ASSERT_TRUE(ping(pub));
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "r/+", QoS::AtMostOnce, V::V5, {}, 7));
  EXPECT_TRUE(received(sub, publish_bytes({.topic = "r/a", .payload = "v", .retain = true,
                                           .props = {0x0b, 0x07}})));
}

TEST(Subscribe03, RetainedMessageOverSubscriberMaximumPacketSizeNotSent) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("r/a", std::string(200, 'v'), QoS::AtMostOnce, 0, true));
  ASSERT_TRUE(ping(pub));
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub", true, ConnectProps{.maximum_packet_size = 64})));
  ASSERT_TRUE(subscribed(sub, 1, "r/a", QoS::AtMostOnce));
  EXPECT_TRUE(ping(sub));
}

TEST(Subscribe03, SubscriptionOptionsReservedBitsAreMalformed0x81) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  // [MQTT-3.8.3-5]: bits 6 and 7 of the Subscription Options are reserved (0).
  c.send(Bytes{0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 't', 0xc0});
  EXPECT_TRUE(disconnected(c, 0x81));
}

TEST(Subscribe03, SubscriptionQos3IsProtocolError0x82) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  // MQTT 5 §3.8.3.1: "It is a Protocol Error if the Maximum QoS field has the value 3."
  c.send(Bytes{0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 't', 0x03});
  EXPECT_TRUE(disconnected(c, 0x82));
}

TEST(Subscribe03, SubscriptionQos3V311Closed) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v311("c")));
  // MQTT 3.1.1 [MQTT-3.8.3-4]: malformed; the server closes.
  c.send(Bytes{0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 't', 0x03});
  EXPECT_TRUE(closed(c));
}

TEST(Subscribe03, NoLocalOnSharedSubscriptionIsProtocolError0x82) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  // [MQTT-3.8.3-4]: No Local on a Shared Subscription is a Protocol Error.
  c.send(Bytes{0x82, 0x10, 0x00, 0x01, 0x00, 0x00, 0x0a, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/',
               't', 0x04});
  EXPECT_TRUE(disconnected(c, 0x82));
}

TEST(Subscribe03, SubscribePacketIdZeroIsProtocolError0x82) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  c.send(Bytes{0x82, 0x07, 0x00, 0x00, 0x00, 0x00, 0x01, 't', 0x00});
  EXPECT_TRUE(disconnected(c, 0x82));
}

TEST(Subscribe03, SharedSubscriptionUnsubscribe) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  ASSERT_TRUE(subscribed(c, 1, "$share/g/t/a", QoS::AtMostOnce));
  Unsubscribe u{.packet_id = PacketId{2}, .filters = {filter("$share/g/t/a"), filter("$share/h/t/a")},
                .props = {}};
  c.send(u);
  EXPECT_TRUE(received(c, Bytes{0xb0, 0x05, 0x00, 0x02, 0x00, 0x00, 0x11}));
}

}  // namespace
}  // namespace gw::test::conformance

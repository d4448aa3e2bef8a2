// Broker conformance 04: QoS 1 and QoS 2 flows in both directions, byte-exact; duplicates,
// unknown packet identifiers, QoS downgrade. MQTT 3.1.1 §4.3, MQTT 5 §4.3, §3.4-§3.7.
#include "tests/integration/conformance.hpp"

namespace gw::test::conformance {
namespace {

TEST(Qos04, Qos1ToSubscriberV5ByteExactWithBrokerPacketIds) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("t/a", "x", QoS::AtLeastOnce, 0x55));
  ASSERT_TRUE(received(pub, Bytes{0x40, 0x02, 0x00, 0x55}));
  // The broker numbers its own PUBLISHes to the subscriber (id 1), not the publisher's 0x55.
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, 'x'}));
  sub.send(Bytes{0x40, 0x02, 0x00, 0x01});
  pub.send(publish_packet("t/a", "y", QoS::AtLeastOnce, 0x56));
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x02, 0x00, 'y'}));
}

TEST(Qos04, Qos1ToSubscriberV311ByteExact) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v311("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce, V::V311));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v311("pub")));
  pub.send(publish_packet("t/a", "x", QoS::AtLeastOnce, 1), V::V311);
  ASSERT_TRUE(received(pub, Bytes{0x40, 0x02, 0x00, 0x01}));
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x08, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 'x'}));
  sub.send(Bytes{0x40, 0x02, 0x00, 0x01});
  EXPECT_TRUE(ping(sub));
}

TEST(Qos04, Qos2ToSubscriberFullFlowV5) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::ExactlyOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("t/a", "x", QoS::ExactlyOnce, 9));
  ASSERT_TRUE(received(pub, Bytes{0x50, 0x02, 0x00, 0x09}));
  EXPECT_TRUE(received(sub, Bytes{0x34, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, 'x'}));
  sub.send(Bytes{0x50, 0x02, 0x00, 0x01});                     // PUBREC
  EXPECT_TRUE(received(sub, Bytes{0x62, 0x02, 0x00, 0x01}));   // PUBREL, flags 0010
  sub.send(Bytes{0x70, 0x02, 0x00, 0x01});                     // PUBCOMP
  EXPECT_TRUE(ping(sub));
  pub.send(Bytes{0x62, 0x02, 0x00, 0x09});
  EXPECT_TRUE(received(pub, Bytes{0x70, 0x02, 0x00, 0x09}));
}

TEST(Qos04, Qos2ToSubscriberFullFlowV311) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v311("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::ExactlyOnce, V::V311));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v311("pub")));
  pub.send(publish_packet("t/a", "x", QoS::ExactlyOnce, 9), V::V311);
  ASSERT_TRUE(received(pub, Bytes{0x50, 0x02, 0x00, 0x09}));
  EXPECT_TRUE(received(sub, Bytes{0x34, 0x08, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 'x'}));
  sub.send(Bytes{0x50, 0x02, 0x00, 0x01});
  EXPECT_TRUE(received(sub, Bytes{0x62, 0x02, 0x00, 0x01}));
  sub.send(Bytes{0x70, 0x02, 0x00, 0x01});
  pub.send(Bytes{0x62, 0x02, 0x00, 0x09});
  EXPECT_TRUE(received(pub, Bytes{0x70, 0x02, 0x00, 0x09}));
}

TEST(Qos04, Qos2DuplicatePublishBeforePubrelNotDeliveredTwice) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtMostOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  auto p = publish_packet("t/a", "x", QoS::ExactlyOnce, 3);
  pub.send(p);
  ASSERT_TRUE(received(pub, Bytes{0x50, 0x02, 0x00, 0x03}));
  p.dup = true;
  pub.send(p);
  // MQTT 5 §4.3.3 method B: the resent PUBLISH is acknowledged again, not delivered again.
  ASSERT_TRUE(received(pub, Bytes{0x50, 0x02, 0x00, 0x03}));
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'a', 0x00, 'x'}));
  EXPECT_TRUE(ping(sub));
  pub.send(Bytes{0x62, 0x02, 0x00, 0x03});
  ASSERT_TRUE(received(pub, Bytes{0x70, 0x02, 0x00, 0x03}));
  // After PUBCOMP the id is free: the same id is a new message.
  pub.send(publish_packet("t/a", "y", QoS::ExactlyOnce, 3));
  ASSERT_TRUE(received(pub, Bytes{0x50, 0x02, 0x00, 0x03}));
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'a', 0x00, 'y'}));
}

TEST(Qos04, PubrelForUnknownIdPubcomp0x92) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  c.send(Bytes{0x62, 0x02, 0x00, 0x07});
  // MQTT 5 §3.7.2.1: PUBCOMP 0x92 Packet Identifier not found.
  EXPECT_TRUE(received(c, Bytes{0x70, 0x03, 0x00, 0x07, 0x92}));
  EXPECT_TRUE(ping(c));
}

TEST(Qos04, PubrelForUnknownIdV311Pubcomp) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v311("c")));
  c.send(Bytes{0x62, 0x02, 0x00, 0x07});
  EXPECT_TRUE(received(c, Bytes{0x70, 0x02, 0x00, 0x07}));
}

TEST(Qos04, PubrecForUnknownIdPubrel0x92) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  c.send(Bytes{0x50, 0x02, 0x00, 0x09});
  // MQTT 5 §3.6.2.1: PUBREL 0x92 Packet Identifier not found.
  EXPECT_TRUE(received(c, Bytes{0x62, 0x03, 0x00, 0x09, 0x92}));
}

TEST(Qos04, PubackForUnknownIdIsIgnored) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  c.send(Bytes{0x40, 0x02, 0x00, 0x05});
  c.send(Bytes{0x70, 0x02, 0x00, 0x06});
  EXPECT_TRUE(ping(c));
}

TEST(Qos04, DowngradedToSubscriptionQos) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("t/a", "x", QoS::ExactlyOnce, 1));
  ASSERT_TRUE(received(pub, Bytes{0x50, 0x02, 0x00, 0x01}));
  // MQTT 5 §3.8.4 [MQTT-3.8.4-8]: QoS is the minimum of the published and the granted QoS.
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, 'x'}));
}

TEST(Qos04, Qos0PublishToQos2SubscriptionStaysQos0) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::ExactlyOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("t/a", "x"));
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'a', 0x00, 'x'}));
}

TEST(Qos04, FailedPubrecEndsExchangeAndFreesQuota) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ConnectProps props{.receive_maximum = 1};
  ASSERT_TRUE(handshake(sub, connect_v5("sub", true, props)));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::ExactlyOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  pub.send(publish_packet("t/a", "1", QoS::ExactlyOnce, 1));
  pub.send(publish_packet("t/a", "2", QoS::ExactlyOnce, 2));
  ASSERT_TRUE(received(pub, Bytes{0x50, 0x02, 0x00, 0x01, 0x50, 0x02, 0x00, 0x02}));
  EXPECT_TRUE(received(sub, Bytes{0x34, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, '1'}));
  // MQTT 5 §4.3.3: a PUBREC with a failure reason (0x80) ends the exchange: no PUBREL, and the
  // next message may be sent (Receive Maximum 1).
  sub.send(Bytes{0x50, 0x03, 0x00, 0x01, 0x80});
  EXPECT_TRUE(received(sub, Bytes{0x34, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x02, 0x00, '2'}));
}

}  // namespace
}  // namespace gw::test::conformance

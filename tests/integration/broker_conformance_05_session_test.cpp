// Broker conformance 05: sessions: Clean Start / Clean Session, Session Expiry, Session Present,
// messages queued while offline, resending unacknowledged messages, will messages.
// MQTT 3.1.1 §3.1.2.4, §4.4; MQTT 5 §3.1.2.4-§3.1.2.5, §3.1.2.11.2, §3.14.2.2.2, §4.1, §4.4.
#include <thread>

#include "tests/integration/conformance.hpp"

namespace gw::test::conformance {
namespace {

Connect persistent_v5(std::string id, bool clean_start, std::uint32_t expiry = 60) {
  return connect_v5(std::move(id), clean_start, ConnectProps{.session_expiry = expiry});
}

Connect with_will(Connect c, std::string_view will_topic, std::string payload, QoS qos = QoS::AtMostOnce,
                  bool retain = false) {
  c.will = Will{.topic = topic(will_topic), .payload = std::move(payload), .qos = qos, .retain = retain};
  return c;
}

// A normal DISCONNECT (MQTT 5: reason 0x00, shortest form), and the server closing in answer.
// The client keeps its socket open afterwards, as a client that is slow to close would.
::testing::AssertionResult said_goodbye(RawClient& c) {
  c.send(Bytes{0xe0, 0x00});
  return closed(c);
}

// --- Clean Start, Session Expiry, Session Present ---

TEST(Session05, PersistentSessionKeepsSubscriptionAndQueuesQos1WhileOfflineV5) {
  GW_START_BROKER(gw);
  {
    RawClient sub(gw.port());
    ASSERT_TRUE(handshake(sub, persistent_v5("sub", true)));
    ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce));
    ASSERT_TRUE(said_goodbye(sub));
    RawClient pub(gw.port());
    ASSERT_TRUE(handshake(pub, connect_v5("pub")));
    pub.send(publish_packet("t/a", "1", QoS::AtLeastOnce, 1));
    pub.send(publish_packet("t/a", "2", QoS::AtLeastOnce, 2));
    pub.send(publish_packet("t/a", "3"));  // QoS 0: not kept for an offline session
    // The offline session is a matching subscriber: Success, not 0x10.
    ASSERT_TRUE(received(pub, Bytes{0x40, 0x02, 0x00, 0x01, 0x40, 0x02, 0x00, 0x02}));
    ASSERT_TRUE(ping(pub));
  }
  RawClient sub(gw.port());
  // [MQTT-3.2.2-2]: Session Present 1 when the session was resumed.
  ASSERT_TRUE(handshake(sub, persistent_v5("sub", false), connack_v5_default(true)));
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, '1'}));
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x02, 0x00, '2'}));
  EXPECT_TRUE(ping(sub));
}

TEST(Session05, CleanSessionZeroKeepsSessionV311) {
  GW_START_BROKER(gw);
  {
    RawClient sub(gw.port());
    ASSERT_TRUE(handshake(sub, connect_v311("sub", false)));
    ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce, V::V311));
    sub.send(Bytes{0xe0, 0x00});
    ASSERT_TRUE(closed(sub));
    RawClient pub(gw.port());
    ASSERT_TRUE(handshake(pub, connect_v311("pub")));
    pub.send(publish_packet("t/a", "1", QoS::AtLeastOnce, 1), V::V311);
    ASSERT_TRUE(received(pub, Bytes{0x40, 0x02, 0x00, 0x01}));
  }
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v311("sub", false), Bytes{0x20, 0x02, 0x01, 0x00}));
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x08, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, '1'}));
}

TEST(Session05, CleanStartDiscardsExistingSession) {
  GW_START_BROKER(gw);
  {
    RawClient sub(gw.port());
    ASSERT_TRUE(handshake(sub, persistent_v5("sub", true)));
    ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce));
    ASSERT_TRUE(said_goodbye(sub));
    RawClient pub(gw.port());
    ASSERT_TRUE(handshake(pub, connect_v5("pub")));
    pub.send(publish_packet("t/a", "1", QoS::AtLeastOnce, 1));
    ASSERT_TRUE(received(pub, Bytes{0x40, 0x02, 0x00, 0x01}));
  }
  RawClient sub(gw.port());
  // [MQTT-3.1.2-4]: Clean Start 1 discards the session: Session Present 0, nothing queued.
  ASSERT_TRUE(handshake(sub, persistent_v5("sub", true)));
  EXPECT_TRUE(ping(sub));
  // ...and no subscription either.
  sub.send(publish_packet("t/a", "2", QoS::AtLeastOnce, 5));
  EXPECT_TRUE(received(sub, Bytes{0x40, 0x03, 0x00, 0x05, 0x10}));
}

TEST(Session05, SessionWithExpiryZeroEndsWithTheConnection) {
  GW_START_BROKER(gw);
  {
    RawClient sub(gw.port());
    ASSERT_TRUE(handshake(sub, connect_v5("sub")));  // no Session Expiry Interval: 0
    ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce));
    ASSERT_TRUE(said_goodbye(sub));
  }
  RawClient sub(gw.port());
  // MQTT 5 §3.1.2.11.2: expiry 0 ends the session when the connection closes.
  ASSERT_TRUE(handshake(sub, connect_v5("sub", false), connack_v5_default(false)));
  sub.send(publish_packet("t/a", "2", QoS::AtLeastOnce, 5));
  EXPECT_TRUE(received(sub, Bytes{0x40, 0x03, 0x00, 0x05, 0x10}));
}

TEST(Session05, MessagesPublishedRightAfterDisconnectAreQueued) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, persistent_v5("sub", true)));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  // DISCONNECT and the PUBLISH race on two connections; either way the message must end up
  // with the session: delivered now, or queued for the next connection.
  sub.send(Bytes{0xe0, 0x00});
  pub.send(publish_packet("t/a", "1", QoS::AtLeastOnce, 1));
  ASSERT_TRUE(received(pub, Bytes{0x40, 0x02, 0x00, 0x01}));
  const Bytes message{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, '1'};
  const Bytes got = sub.read_exactly(message.size(), 500ms);
  const bool delivered_before_close = got == message;
  EXPECT_TRUE(got.empty() || delivered_before_close) << hex(got);
  ASSERT_TRUE(closed(sub));
  RawClient again(gw.port());
  ASSERT_TRUE(handshake(again, persistent_v5("sub", false), connack_v5_default(true)));
  if (!delivered_before_close) {
    EXPECT_TRUE(received(again, message));
  } else {
    // Sent but never acknowledged: resent with DUP [MQTT-4.4.0-1].
    EXPECT_TRUE(received(again, Bytes{0x3a, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, '1'}));
  }
}

TEST(Session05, SessionExpiryAboveMaximumLoweredAndAnnounced) {
  GW_START_BROKER(gw, "  max_session_expiry: 10s\n");
  RawClient c(gw.port());
  // MQTT 5 §3.2.2.3.2: the server's Session Expiry Interval (0x11) in CONNACK.
  ASSERT_TRUE(handshake(c, persistent_v5("c", true, 3600),
                        Bytes{0x20, 0x13, 0x00, 0x00, 0x10, 0x11, 0x00, 0x00, 0x00, 0x0a, 0x21,
                              0x00, 0x40, 0x27, 0x00, 0x04, 0x00, 0x00, 0x22, 0x00, 0x0a}));
}

TEST(Session05, SessionExpiresAfterItsInterval) {
  GW_START_BROKER(gw);
  {
    RawClient sub(gw.port());
    ASSERT_TRUE(handshake(sub, persistent_v5("sub", true, 1)));
    ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce));
    ASSERT_TRUE(said_goodbye(sub));
  }
  // The behaviour under test is time itself: wait past the 1 s interval (not a synchronisation).
  std::this_thread::sleep_for(1500ms);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, persistent_v5("sub", false, 1), connack_v5_default(false)));
}

TEST(Session05, DisconnectWithSessionExpiryZeroEndsSession) {
  GW_START_BROKER(gw);
  {
    RawClient sub(gw.port());
    ASSERT_TRUE(handshake(sub, persistent_v5("sub", true)));
    ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce));
    // DISCONNECT 0x00 with Session Expiry Interval (0x11) 0.
    sub.send(Bytes{0xe0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x00});
    ASSERT_TRUE(closed(sub));
  }
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, persistent_v5("sub", false), connack_v5_default(false)));
}

TEST(Session05, DisconnectSettingExpiryAfterZeroIsProtocolError0x82) {
  GW_START_BROKER(gw);
  RawClient c(gw.port());
  ASSERT_TRUE(handshake(c, connect_v5("c")));
  // [MQTT-3.14.2-2]: CONNECT had expiry 0; a non-zero one on DISCONNECT is a Protocol Error.
  c.send(Bytes{0xe0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x0a});
  EXPECT_TRUE(disconnected(c, 0x82));
}

TEST(Session05, UnacknowledgedQos1ResentWithDupOnResume) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  {
    RawClient sub(gw.port());
    ASSERT_TRUE(handshake(sub, persistent_v5("sub", true)));
    ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtLeastOnce));
    pub.send(publish_packet("t/a", "x", QoS::AtLeastOnce, 1));
    ASSERT_TRUE(received(sub, Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, 'x'}));
    sub.abort();  // no PUBACK
  }
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, persistent_v5("sub", false), connack_v5_default(true)));
  // [MQTT-4.4.0-1]: resent with the same packet id and DUP 1.
  EXPECT_TRUE(received(sub, Bytes{0x3a, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, 'x'}));
  sub.send(Bytes{0x40, 0x02, 0x00, 0x01});
  EXPECT_TRUE(ping(sub));
}

TEST(Session05, UnacknowledgedPubrelResentOnResume) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  {
    RawClient sub(gw.port());
    ASSERT_TRUE(handshake(sub, persistent_v5("sub", true)));
    ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::ExactlyOnce));
    pub.send(publish_packet("t/a", "x", QoS::ExactlyOnce, 1));
    ASSERT_TRUE(received(sub, Bytes{0x34, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, 'x'}));
    sub.send(Bytes{0x50, 0x02, 0x00, 0x01});
    ASSERT_TRUE(received(sub, Bytes{0x62, 0x02, 0x00, 0x01}));
    sub.abort();  // no PUBCOMP
  }
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, persistent_v5("sub", false), connack_v5_default(true)));
  // [MQTT-4.4.0-1]: the PUBREL is resent, not the PUBLISH.
  EXPECT_TRUE(received(sub, Bytes{0x62, 0x02, 0x00, 0x01}));
  sub.send(Bytes{0x70, 0x02, 0x00, 0x01});
  EXPECT_TRUE(ping(sub));
}

TEST(Session05, Qos2AwaitingPubrelSurvivesReconnect) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "t/a", QoS::AtMostOnce));
  {
    RawClient pub(gw.port());
    ASSERT_TRUE(handshake(pub, persistent_v5("pub", true)));
    pub.send(publish_packet("t/a", "x", QoS::ExactlyOnce, 4));
    ASSERT_TRUE(received(pub, Bytes{0x50, 0x02, 0x00, 0x04}));
    pub.abort();
  }
  ASSERT_TRUE(received(sub, Bytes{0x30, 0x07, 0x00, 0x03, 't', '/', 'a', 0x00, 'x'}));
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, persistent_v5("pub", false), connack_v5_default(true)));
  // The resent PUBLISH (DUP) is not delivered again; the PUBREL completes it.
  auto again = publish_packet("t/a", "x", QoS::ExactlyOnce, 4);
  again.dup = true;
  pub.send(again);
  ASSERT_TRUE(received(pub, Bytes{0x50, 0x02, 0x00, 0x04}));
  pub.send(Bytes{0x62, 0x02, 0x00, 0x04});
  ASSERT_TRUE(received(pub, Bytes{0x70, 0x02, 0x00, 0x04}));
  EXPECT_TRUE(ping(sub));
}

// --- will messages (MQTT 5 §3.1.2.5, §3.1.3.2-§3.1.3.4) ---

TEST(Session05, WillPublishedOnAbruptClose) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "w/t", QoS::AtMostOnce));
  RawClient w(gw.port());
  ASSERT_TRUE(handshake(w, with_will(connect_v5("w"), "w/t", "bye")));
  w.abort();
  // [MQTT-3.1.2-8]: the connection closed without DISCONNECT: the will is published.
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x09, 0x00, 0x03, 'w', '/', 't', 0x00, 'b', 'y', 'e'}));
}

TEST(Session05, WillPublishedOnAbruptCloseV311) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v311("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "w/t", QoS::AtLeastOnce, V::V311));
  RawClient w(gw.port());
  ASSERT_TRUE(handshake(w, with_will(connect_v311("w"), "w/t", "bye", QoS::AtLeastOnce)));
  w.close();
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x0a, 0x00, 0x03, 'w', '/', 't', 0x00, 0x01, 'b', 'y', 'e'}));
}

TEST(Session05, WillNotPublishedOnNormalDisconnect) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "w/t", QoS::AtMostOnce));
  RawClient w(gw.port());
  ASSERT_TRUE(handshake(w, with_will(connect_v5("w"), "w/t", "bye")));
  // [MQTT-3.1.2-10]: DISCONNECT 0x00 discards the will.
  ASSERT_TRUE(said_goodbye(w));
  w.close();
  // The same client id again: its CONNACK comes after the old connection was dealt with.
  RawClient again(gw.port());
  ASSERT_TRUE(handshake(again, connect_v5("w")));
  ASSERT_TRUE(ping(again));
  EXPECT_TRUE(ping(sub));
}

TEST(Session05, DisconnectWithWillMessage0x04PublishesWill) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "w/t", QoS::AtMostOnce));
  RawClient w(gw.port());
  ASSERT_TRUE(handshake(w, with_will(connect_v5("w"), "w/t", "bye")));
  // MQTT 5 §3.14.2.1: 0x04 Disconnect with Will Message.
  w.send(Bytes{0xe0, 0x01, 0x04});
  EXPECT_TRUE(closed(w));
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x09, 0x00, 0x03, 'w', '/', 't', 0x00, 'b', 'y', 'e'}));
}

TEST(Session05, WillPublishedWhenServerClosesForProtocolError) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "w/t", QoS::AtMostOnce));
  RawClient w(gw.port());
  ASSERT_TRUE(handshake(w, with_will(connect_v5("w"), "w/t", "bye")));
  w.send(Bytes{0x60, 0x02, 0x00, 0x01});  // PUBREL with reserved flags 0000: malformed
  // [MQTT-3.1.2-8]: a server-closed connection publishes the will, too. It is published when the
  // server closes, before it has seen the client's FIN: the client keeps its socket open here.
  EXPECT_TRUE(disconnected(w, 0x81));
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x09, 0x00, 0x03, 'w', '/', 't', 0x00, 'b', 'y', 'e'}));
}

TEST(Session05, WillPublishedOnSessionTakeover) {
  GW_START_BROKER(gw);
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "w/t", QoS::AtMostOnce));
  RawClient w(gw.port());
  ASSERT_TRUE(handshake(w, with_will(connect_v5("w"), "w/t", "bye")));
  RawClient w2(gw.port());
  ASSERT_TRUE(handshake(w2, connect_v5("w")));
  EXPECT_TRUE(received(w, Bytes{0xe0, 0x01, 0x8e}));
  EXPECT_TRUE(received(sub, Bytes{0x30, 0x09, 0x00, 0x03, 'w', '/', 't', 0x00, 'b', 'y', 'e'}));
}

TEST(Session05, TakeoverOfASessionWithExpiryZeroStartsANewOneAndPublishesTheWill) {
  GW_START_BROKER(gw);
  RawClient watcher(gw.port());
  ASSERT_TRUE(handshake(watcher, connect_v5("watcher")));
  ASSERT_TRUE(subscribed(watcher, 1, "w/t", QoS::AtMostOnce));
  // Session Expiry 0 (absent), a will held back for a minute, one subscription.
  Connect first_connect = with_will(connect_v5("tz"), "w/t", "bye");
  first_connect.will->delay_interval = 60;
  RawClient first(gw.port());
  ASSERT_TRUE(handshake(first, first_connect));
  ASSERT_TRUE(subscribed(first, 1, "data/tz", QoS::AtMostOnce));
  // The takeover closes the old connection first [MQTT-3.1.4-3], and with it ends its session
  // (MQTT 5 §3.1.2.11.2): Clean Start 0 finds none, Session Present 0 [MQTT-3.2.2-3]...
  RawClient second(gw.port());
  ASSERT_TRUE(handshake(second, connect_v5("tz", false), connack_v5_default(false)));
  EXPECT_TRUE(received(first, Bytes{0xe0, 0x01, 0x8e}));
  // ...the session's end publishes the will at once, delay or not (§3.1.2.5)...
  EXPECT_TRUE(received(watcher, Bytes{0x30, 0x09, 0x00, 0x03, 'w', '/', 't', 0x00, 'b', 'y', 'e'}));
  // ...and the old subscription is gone with it.
  watcher.send(publish_packet("data/tz", "x"));
  ASSERT_TRUE(ping(watcher));  // routed
  EXPECT_TRUE(ping(second));   // nothing came before the PINGRESP
}

TEST(Session05, RetainedWillIsRetained) {
  GW_START_BROKER(gw);
  RawClient watcher(gw.port());
  ASSERT_TRUE(handshake(watcher, connect_v5("watcher")));
  ASSERT_TRUE(subscribed(watcher, 1, "w/t", QoS::AtMostOnce));
  RawClient w(gw.port());
  ASSERT_TRUE(handshake(w, with_will(connect_v5("w"), "w/t", "bye", QoS::AtMostOnce, true)));
  w.abort();
  // Forwarded on the established subscription: RETAIN 0 [MQTT-3.3.1-12]...
  ASSERT_TRUE(received(watcher, Bytes{0x30, 0x09, 0x00, 0x03, 'w', '/', 't', 0x00, 'b', 'y', 'e'}));
  // ...and stored: a new subscription gets it with RETAIN 1 [MQTT-3.1.2-17].
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub")));
  ASSERT_TRUE(subscribed(sub, 1, "w/t", QoS::AtMostOnce));
  EXPECT_TRUE(received(sub, Bytes{0x31, 0x09, 0x00, 0x03, 'w', '/', 't', 0x00, 'b', 'y', 'e'}));
}

TEST(Session05, TakeoverWithCleanStart0ResumesAndResendsInFlight) {
  GW_START_BROKER(gw);
  RawClient pub(gw.port());
  ASSERT_TRUE(handshake(pub, connect_v5("pub")));
  RawClient first(gw.port());
  ASSERT_TRUE(handshake(first, persistent_v5("sub", true)));
  ASSERT_TRUE(subscribed(first, 1, "t/a", QoS::AtLeastOnce));
  pub.send(publish_packet("t/a", "x", QoS::AtLeastOnce, 1));
  ASSERT_TRUE(received(first, Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, 'x'}));
  RawClient second(gw.port());
  ASSERT_TRUE(handshake(second, persistent_v5("sub", false), connack_v5_default(true)));
  EXPECT_TRUE(received(first, Bytes{0xe0, 0x01, 0x8e}));
  EXPECT_TRUE(received(second, Bytes{0x3a, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x01, 0x00, 'x'}));
  second.send(Bytes{0x40, 0x02, 0x00, 0x01});
  pub.send(publish_packet("t/a", "y", QoS::AtLeastOnce, 2));
  EXPECT_TRUE(received(second, Bytes{0x32, 0x09, 0x00, 0x03, 't', '/', 'a', 0x00, 0x02, 0x00, 'y'}));
}

TEST(Session05, V311CleanSessionAfterPersistentSessionHasSessionPresent0) {
  GW_START_BROKER(gw);
  {
    RawClient c(gw.port());
    ASSERT_TRUE(handshake(c, connect_v311("c", false)));
    c.abort();
  }
  RawClient c(gw.port());
  // [MQTT-3.2.2-1]: CleanSession 1 -> Session Present 0.
  ASSERT_TRUE(handshake(c, connect_v311("c", true), Bytes{0x20, 0x02, 0x00, 0x00}));
}

TEST(Session05, WillQosAboveMaximumQosRefused0x9B) {
  GW_START_BROKER(gw, "  maximum_qos: 1\n");
  RawClient w(gw.port());
  // [MQTT-3.2.2-12]: a Will QoS beyond the server's capabilities: reject the connection,
  // CONNACK 0x9B QoS not supported, close.
  w.send(with_will(connect_v5("w"), "w/t", "bye", QoS::ExactlyOnce));
  EXPECT_TRUE(received(w, Bytes{0x20, 0x03, 0x00, 0x9b, 0x00}));
  EXPECT_TRUE(closed(w));
}

TEST(Session05, WillRetainWhenRetainUnavailableRefused0x9A) {
  GW_START_BROKER(gw, "  retain_available: false\n");
  RawClient w(gw.port());
  // [MQTT-3.2.2-13]: Will Retain 1 when retained messages are not supported: CONNACK 0x9A.
  w.send(with_will(connect_v5("w"), "w/t", "bye", QoS::AtMostOnce, true));
  EXPECT_TRUE(received(w, Bytes{0x20, 0x03, 0x00, 0x9a, 0x00}));
  EXPECT_TRUE(closed(w));
}

TEST(Session05, WillQosWithinMaximumQosAccepted) {
  GW_START_BROKER(gw, "  maximum_qos: 1\n");
  const Bytes connack{0x20, 0x10, 0x00, 0x00, 0x0d, 0x21, 0x00, 0x40, 0x24, 0x01, 0x27,
                      0x00, 0x04, 0x00, 0x00, 0x22, 0x00, 0x0a};
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v5("sub"), connack));
  ASSERT_TRUE(subscribed(sub, 1, "w/t", QoS::AtLeastOnce));
  RawClient w(gw.port());
  ASSERT_TRUE(handshake(w, with_will(connect_v5("w"), "w/t", "bye", QoS::AtLeastOnce), connack));
  w.abort();
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x0b, 0x00, 0x03, 'w', '/', 't', 0x00, 0x01, 0x00, 'b', 'y', 'e'}));
}

TEST(Session05, WillQosAboveMaximumQosV311LoweredWhenPublished) {
  GW_START_BROKER(gw, "  maximum_qos: 1\n");
  RawClient sub(gw.port());
  ASSERT_TRUE(handshake(sub, connect_v311("sub")));
  sub.send(subscribe_packet(1, "w/t", QoS::ExactlyOnce), V::V311);
  ASSERT_TRUE(received(sub, Bytes{0x90, 0x03, 0x00, 0x01, 0x01}));
  RawClient w(gw.port());
  // MQTT 3.1.1 has no Maximum QoS to announce: the will is accepted and published at QoS 1.
  ASSERT_TRUE(handshake(w, with_will(connect_v311("w"), "w/t", "bye", QoS::ExactlyOnce)));
  w.abort();
  EXPECT_TRUE(received(sub, Bytes{0x32, 0x0a, 0x00, 0x03, 'w', '/', 't', 0x00, 0x01, 'b', 'y', 'e'}));
}

}  // namespace
}  // namespace gw::test::conformance

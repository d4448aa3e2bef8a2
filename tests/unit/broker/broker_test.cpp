// The broker core without sockets: clients talk to it through an in-memory transport and time is
// a FakeClock, so keep-alive, session expiry, will delay and message expiry are tested exactly,
// without waiting.
#include "broker/broker.hpp"
#include "broker/local_client.hpp"

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/broker/broker_fixture.hpp"

namespace gw::broker {
namespace {

using namespace std::chrono_literals;
using namespace protocol;

TEST_F(BrokerTest, KeepAliveDisconnectsAtOneAndAHalfIntervals) {
  Conn c(*broker_);
  c.connect(connect_packet("dev", 10));
  clock_.advance(14'999ms);
  broker_->tick();
  EXPECT_FALSE(c.closed());
  EXPECT_TRUE(c.received().empty());
  clock_.advance(1ms);
  broker_->tick();
  EXPECT_TRUE(c.closed());
  const auto got = only<Disconnect>(c.received());
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].reason, DisconnectReason::KeepAliveTimeout);
}

TEST_F(BrokerTest, AnyPacketRestartsTheKeepAliveInterval) {
  Conn c(*broker_);
  c.connect(connect_packet("dev", 10));
  clock_.advance(14s);
  c.send(Pingreq{});
  clock_.advance(14s);
  broker_->tick();
  EXPECT_FALSE(c.closed());
  clock_.advance(1s);
  broker_->tick();
  EXPECT_TRUE(c.closed());
}

TEST_F(BrokerTest, ClosesConnectionThatSendsNoConnectWithinTimeout) {
  Conn c(*broker_);
  clock_.advance(4'999ms);
  broker_->tick();
  EXPECT_FALSE(c.closed());
  clock_.advance(1ms);
  broker_->tick();
  EXPECT_TRUE(c.closed());
}

TEST_F(BrokerTest, SessionLivesForItsExpiryIntervalAfterDisconnect) {
  {
    Conn c(*broker_);
    auto p = connect_packet("dev");
    p.clean_start = false;
    p.props.session_expiry = 60;
    c.connect(p);
    c.drop();
  }
  EXPECT_EQ(broker_->session_count(), 1U);
  clock_.advance(59s);
  broker_->tick();
  EXPECT_EQ(broker_->session_count(), 1U);
  clock_.advance(1s);
  broker_->tick();
  EXPECT_EQ(broker_->session_count(), 0U);
}

TEST_F(BrokerTest, WillWaitsForItsDelayThenIsPublished) {
  Conn watcher(*broker_);
  join(watcher, "watcher", "will/#");
  connect_with_will_and_die(*broker_, 100, 30);
  clock_.advance(29s);
  broker_->tick();
  EXPECT_TRUE(only<Publish>(watcher.received()).empty());
  clock_.advance(1s);
  broker_->tick();
  const auto got = only<Publish>(watcher.received());
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].topic.str(), "will/dev");
  EXPECT_EQ(got[0].payload, "gone");
}

// Session::Rare (the delayed will's time, QoS 2 ids awaiting PUBREL) is allocated on first use
// and released once empty: docs/performance.md "Per-connection memory".
TEST_F(BrokerTest, DelayedWillTimeIsRareStateReleasedWhenTheWillIsPublished) {
  Conn watcher(*broker_);
  join(watcher, "watcher", "will/#");
  {
    Conn c(*broker_);
    auto p = connect_packet("dev");
    p.props.session_expiry = 100;
    p.will = Will{.topic = *TopicName::make("will/dev"), .payload = "gone", .delay_interval = 30};
    c.connect(p);
    EXPECT_FALSE(c.client().session()->has_rare_state());
    c.drop();
  }
  const Session* dev = broker_->find_session("dev");
  ASSERT_NE(dev, nullptr);
  ASSERT_TRUE(dev->has_rare_state());
  ASSERT_TRUE(dev->rare().will_at.has_value());
  EXPECT_EQ(*dev->rare().will_at, clock_.steady() + 30s);
  clock_.advance(30s);
  broker_->tick();
  EXPECT_EQ(only<Publish>(watcher.received()).size(), 1U);
  EXPECT_FALSE(dev->has_rare_state());
  EXPECT_FALSE(watcher.client().session()->has_rare_state());
}

TEST_F(BrokerTest, EveryTickLetsAConnectedClientsTransportReleaseItsIdleBuffers) {
  Conn c(*broker_);
  c.connect(connect_packet("quiet"));
  EXPECT_EQ(c.idle_releases(), 0);
  broker_->tick();
  EXPECT_EQ(c.idle_releases(), 1);
  broker_->tick();
  EXPECT_EQ(c.idle_releases(), 2);
}

TEST_F(BrokerTest, WillIsSentWhenSessionEndsBeforeItsDelay) {
  Conn watcher(*broker_);
  join(watcher, "watcher", "will/#");
  connect_with_will_and_die(*broker_, 10, 100);
  clock_.advance(10s);
  broker_->tick();
  EXPECT_EQ(only<Publish>(watcher.received()).size(), 1U);
  EXPECT_EQ(broker_->session_count(), 1U);  // only the watcher's
}

TEST_F(BrokerTest, ReconnectBeforeWillDelayCancelsTheWill) {
  Conn watcher(*broker_);
  join(watcher, "watcher", "will/#");
  auto p = connect_packet("dev");
  p.clean_start = false;
  p.props.session_expiry = 100;
  p.will = Will{.topic = *TopicName::make("will/dev"), .payload = "gone", .delay_interval = 30};
  {
    Conn c(*broker_);
    c.connect(p);
    c.drop();
  }
  clock_.advance(10s);
  Conn again(*broker_);
  p.will.reset();
  EXPECT_TRUE(again.connect(p).session_present);
  clock_.advance(60s);
  broker_->tick();
  EXPECT_TRUE(only<Publish>(watcher.received()).empty());
}

TEST_F(BrokerTest, MessageExpiryCountsDownWhileQueuedAndExpiredMessagesAreDropped) {
  auto sub = connect_packet("sub");
  sub.clean_start = false;
  sub.props.session_expiry = 3600;
  {
    Conn c(*broker_);
    c.connect(sub);
    c.send(subscribe_packet("data/#"));
    c.received();
    c.drop();
  }
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  auto keep = publish_packet("data/a", "keep", QoS::AtLeastOnce);
  keep.props.message.message_expiry = 10;
  auto lose = publish_packet("data/b", "lose", QoS::AtLeastOnce);
  lose.props.message.message_expiry = 3;
  pub.send(keep);
  pub.send(lose);
  clock_.advance(4s);
  Conn c(*broker_);
  EXPECT_TRUE(c.connect(sub).session_present);
  const auto got = only<Publish>(c.received());
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].payload, "keep");
  EXPECT_EQ(got[0].props.message.message_expiry, 6U);  // MQTT 5 §3.3.2.3.3 [MQTT-3.3.2-6]
  EXPECT_EQ(broker_->stats().dropped_expired, 1U);
}

TEST_F(BrokerTest, ExpiredRetainedMessageIsNotDeliveredOnSubscribe) {
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  auto p = publish_packet("state/a", "on");
  p.retain = true;
  p.props.message.message_expiry = 5;
  pub.send(p);
  clock_.advance(5s);
  broker_->tick();
  Conn sub(*broker_);
  sub.connect(connect_packet("sub"));
  sub.send(subscribe_packet("state/#"));
  EXPECT_TRUE(only<Publish>(sub.received()).empty());
}

TEST_F(BrokerTest, InProcessPublishReachesSubscribers) {
  Conn sub(*broker_);
  join(sub, "sub", "gw/+/temp", QoS::AtMostOnce);
  broker_->publish(Message{.topic = "gw/boiler/temp", .payload = "21.5"});
  broker_->publish(Message{.topic = "gw/+/bad", .payload = "refused: wildcard"});
  const auto got = only<Publish>(sub.received());
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].payload, "21.5");
}

TEST_F(BrokerTest, SendsTopicAliasesUpToTheClientsMaximum) {
  Conn sub(*broker_);
  auto c = connect_packet("sub");
  c.props.topic_alias_maximum = 2;
  sub.connect(c);
  sub.send(subscribe_packet("t/#", QoS::AtMostOnce));
  sub.received();
  for (const char* topic : {"t/1", "t/2", "t/3", "t/1", "t/3", "t/2"}) {
    broker_->publish(Message{.topic = topic, .payload = topic});
  }
  const auto got = only<Publish>(sub.received());
  ASSERT_EQ(got.size(), 6U);
  struct Want {
    std::string topic;
    std::optional<std::uint16_t> alias;
  };
  const Want want[] = {{"t/1", 1}, {"t/2", 2}, {"t/3", std::nullopt},
                       {"", 1},    {"t/3", std::nullopt}, {"", 2}};
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(got[i].topic.str(), want[i].topic) << i;
    EXPECT_EQ(got[i].props.topic_alias, want[i].alias) << i;
  }
}

TEST_F(BrokerTest, SendsNoTopicAliasesToAClientThatAllowsNone) {
  Conn sub(*broker_);
  join(sub, "sub", "t/#", QoS::AtMostOnce);
  broker_->publish(Message{.topic = "t/1", .payload = "x"});
  broker_->publish(Message{.topic = "t/1", .payload = "y"});
  for (const auto& p : only<Publish>(sub.received())) {
    EXPECT_EQ(p.topic.str(), "t/1");
    EXPECT_FALSE(p.props.topic_alias);
  }
}

TEST_F(BrokerTest, ShutdownSendsServerShuttingDownToV5Clients) {
  Conn v5(*broker_);
  v5.connect(connect_packet("a"));
  Conn v311(*broker_, ProtocolVersion::V311);
  v311.connect(connect_packet("b"));
  broker_->shutdown();
  const auto got = only<Disconnect>(v5.received());
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].reason, DisconnectReason::ServerShuttingDown);
  EXPECT_TRUE(v5.closed());
  EXPECT_TRUE(v311.received().empty());
  EXPECT_TRUE(v311.closed());
}

using Received = std::vector<std::string>;
LocalClient::Handler collect(Received& into) {
  return [&into](const std::shared_ptr<const Message>& m) { into.push_back(m->topic + "=" + m->payload); };
}

TEST_F(BrokerTest, LocalClientGetsEachFilterThroughItsOwnHandler) {
  LocalClient local(*broker_, "adapters");
  Received set, status;
  ASSERT_TRUE(local.subscribe("plant/+/set", collect(set)));
  ASSERT_TRUE(local.subscribe("plant/#", collect(status)));
  Conn c(*broker_);
  c.connect(connect_packet("hmi"));
  c.send(publish_packet("plant/valve/set", "1"));
  EXPECT_TRUE(set.empty());  // never inside routing
  settle();
  EXPECT_EQ(set, Received{"plant/valve/set=1"});
  EXPECT_EQ(status, Received{"plant/valve/set=1"});
  EXPECT_TRUE(local.unsubscribe("plant/#"));
  EXPECT_FALSE(local.unsubscribe("plant/#"));
  c.send(publish_packet("plant/valve/set", "0"));
  settle();
  EXPECT_EQ(set.size(), 2U);
  EXPECT_EQ(status.size(), 1U);
}

TEST_F(BrokerTest, LocalClientPublishReachesMqttSubscribersAndRefusesWildcards) {
  LocalClient local(*broker_, "adapters");
  Conn sub(*broker_);
  join(sub, "hmi", "plant/#", QoS::AtMostOnce);
  ASSERT_TRUE(local.publish(Message{.topic = "plant/boiler/temp", .payload = "21.5"}));
  auto bad = local.publish(Message{.topic = "plant/#", .payload = "x"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), MqttErrc::TopicNameInvalid);
  const auto got = only<Publish>(sub.received());
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].payload, "21.5");
}

TEST_F(BrokerTest, LocalClientPublishRefusesAStringPropertyNoPacketCanCarry) {
  LocalClient local(*broker_, "adapters");
  Conn sub(*broker_);
  join(sub, "hmi", "plant/#", QoS::AtMostOnce);
  Message m{.topic = "plant/x", .payload = "1"};
  m.props.content_type = std::string(65'535, 'c');  // the longest MQTT string: fine
  ASSERT_TRUE(local.publish(m));
  m.props.content_type->push_back('c');
  auto refused = local.publish(m);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), MqttErrc::MalformedPacket);
  m.props.content_type.reset();
  m.props.user = {{"unit", std::string(65'536, 'u')}};
  EXPECT_FALSE(local.publish(m));
  settle();
  EXPECT_EQ(only<Publish>(sub.received()).size(), 1U);
}

TEST_F(BrokerTest, LocalClientPublishRefusesTheSysTreeWhichOnlyTheBrokerWrites) {
  LocalClient local(*broker_, "bridge");
  Conn sub(*broker_);
  join(sub, "hmi", "$SYS/#", QoS::AtMostOnce);
  for (const char* topic : {"$SYS/broker/uptime", "$SYS"}) {
    auto refused = local.publish(Message{.topic = topic, .payload = "forged", .retain = true});
    ASSERT_FALSE(refused) << topic;
    EXPECT_EQ(refused.error(), MqttErrc::NotAuthorized) << topic;
  }
  // Neighbours of the tree are ordinary topics.
  EXPECT_TRUE(local.publish(Message{.topic = "$SYSTEM/x", .payload = "a"}));
  EXPECT_TRUE(local.publish(Message{.topic = "sys/x", .payload = "b"}));
  settle();
  EXPECT_TRUE(only<Publish>(sub.received()).empty());
  // The broker's own statistics publisher still writes there.
  broker_->publish(Message{.topic = "$SYS/broker/uptime", .payload = "7", .retain = true});
  settle();
  const auto got = only<Publish>(sub.received());
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].payload, "7");
}

TEST_F(BrokerTest, LocalNoLocalSuppressesOnlyOwnMessages) {
  LocalClient bridge(*broker_, "bridge");
  LocalClient other(*broker_, "adapters");
  Received got;
  ASSERT_TRUE(bridge.subscribe("data/#", collect(got), {.no_local = true}));
  ASSERT_TRUE(bridge.publish(Message{.topic = "data/from-cloud", .payload = "a"}));
  ASSERT_TRUE(other.publish(Message{.topic = "data/from-field", .payload = "b"}));
  settle();
  EXPECT_EQ(got, Received{"data/from-field=b"});
}

TEST_F(BrokerTest, LocalHandlerMayPublishAndUnsubscribeWhileHandling) {
  LocalClient relay(*broker_, "relay");
  LocalClient watcher(*broker_, "watcher");
  Received out;
  ASSERT_TRUE(watcher.subscribe("out/#", collect(out)));
  int calls = 0;
  ASSERT_TRUE(relay.subscribe("in/#", [&](const std::shared_ptr<const Message>& m) {
    ++calls;
    ASSERT_TRUE(relay.publish(Message{.topic = "out/" + m->payload, .payload = m->payload}));
    relay.unsubscribe("in/#");
  }));
  ASSERT_TRUE(watcher.publish(Message{.topic = "in/1", .payload = "x"}));
  ASSERT_TRUE(watcher.publish(Message{.topic = "in/2", .payload = "y"}));
  settle();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(out, Received{"out/x=x"});
}

TEST_F(BrokerTest, LocalSubscribeDeliversRetainedMessagesUnlessAskedNotTo) {
  LocalClient local(*broker_, "bridge");
  ASSERT_TRUE(local.publish(Message{.topic = "state/a", .payload = "on", .retain = true}));
  Received with, without;
  ASSERT_TRUE(local.subscribe("state/#", collect(with)));
  ASSERT_TRUE(local.subscribe("state/+", collect(without), {.send_retained = false}));
  settle();
  EXPECT_EQ(with, Received{"state/a=on"});
  EXPECT_TRUE(without.empty());
}

TEST_F(BrokerTest, DestroyedLocalClientReceivesNothingMore) {
  Received got;
  {
    LocalClient local(*broker_, "tmp");
    ASSERT_TRUE(local.subscribe("x/#", collect(got)));
  }
  broker_->publish(Message{.topic = "x/1", .payload = "late"});
  settle();
  EXPECT_TRUE(got.empty());
}

TEST(BrokerOptionsTest, ResponseInformationOnlyForClientsThatAskForIt) {
  core::FakeClock clock;
  asio::io_context io;
  BrokerOptions o;
  o.response_information = "replies/";
  Broker broker(io, o, clock);
  Conn asks(broker);
  auto c = connect_packet("asks");
  c.props.request_response_information = true;
  EXPECT_EQ(asks.connect(c).props.response_information, "replies/");
  Conn silent(broker);
  EXPECT_FALSE(silent.connect(connect_packet("silent")).props.response_information);
}

TEST(BrokerOptionsTest, RedirectRefusesWithServerReference) {
  for (const bool permanent : {false, true}) {
    core::FakeClock clock;
    asio::io_context io;
    BrokerOptions o;
    o.redirect = BrokerOptions::Redirect{.server_reference = "10.1.2.3:1883", .permanent = permanent};
    Broker broker(io, o, clock);
    Conn v5(broker);
    const auto ack = v5.connect(connect_packet("a"));
    EXPECT_EQ(ack.reason, permanent ? ConnackReason::ServerMoved : ConnackReason::UseAnotherServer);
    EXPECT_EQ(ack.props.server_reference, "10.1.2.3:1883");
    EXPECT_TRUE(v5.closed());
    Conn v311(broker, ProtocolVersion::V311);
    EXPECT_EQ(v311.connect(connect_packet("b")).reason, ConnackReason::ServerUnavailable);
  }
}

TEST(BrokerBackpressureTest, SlowSubscriberLosesQos0InsteadOfGrowingMemory) {
  core::FakeClock clock;
  asio::io_context io;
  BrokerOptions o;
  o.max_queued_bytes = 4096;
  Broker broker(io, o, clock);
  Conn slow(broker);
  slow.connect(connect_packet("slow"));
  slow.send(subscribe_packet("t", QoS::AtMostOnce));
  slow.stall();
  Conn fast(broker);
  join(fast, "fast", "t", QoS::AtMostOnce);
  for (int i = 0; i < 100; ++i) broker.publish(Message{.topic = "t", .payload = std::string(100, 'x')});
  EXPECT_EQ(only<Publish>(fast.received()).size(), 100U);  // the fast one is not slowed down
  EXPECT_GT(broker.stats().dropped_queue_full, 50U);
  broker.tick();
  EXPECT_FALSE(slow.closed());  // dropping QoS 0 is enough; the client may catch up
}

TEST(BrokerBackpressureTest, ClientThatNeverReadsIsDisconnectedAtTwiceTheQueueLimit) {
  core::FakeClock clock;
  asio::io_context io;
  BrokerOptions o;
  o.max_queued_bytes = 1024;
  Broker broker(io, o, clock);
  Conn c(broker);
  c.connect(connect_packet("flooder"));
  c.stall();
  for (int i = 0; i < 1100; ++i) c.send(Pingreq{});  // 2-byte PINGRESPs pile up unread
  EXPECT_FALSE(c.closed());  // never closed in the middle of handling
  broker.tick();
  EXPECT_TRUE(c.closed());
}

TEST_F(BrokerTest, LocalHandlerThatShutsTheBrokerDownIsSafe) {
  LocalClient cmd(*broker_, "cmd");
  ASSERT_TRUE(cmd.subscribe("cmd/stop", [&](const std::shared_ptr<const Message>&) {
    broker_->shutdown();
  }));
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));  // session expiry 0: ends with the connection
  pub.send(publish_packet("cmd/stop", "now", QoS::ExactlyOnce));
  EXPECT_EQ(only<Pubrec>(pub.received()).size(), 1U);
  settle();
  EXPECT_TRUE(pub.closed());
}

TEST_F(BrokerTest, ThrowingLocalHandlerIsCountedAndOthersKeepWorking) {
  LocalClient a(*broker_, "a");
  int calls = 0;
  ASSERT_TRUE(a.subscribe("x", [&](const std::shared_ptr<const Message>&) {
    if (++calls == 1) throw std::runtime_error("bad JSON");
  }));
  ASSERT_TRUE(a.publish(Message{.topic = "x", .payload = "{"}));
  settle();
  ASSERT_TRUE(a.publish(Message{.topic = "x", .payload = "{}"}));
  settle();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(broker_->stats().local_handler_errors, 1U);
}

Publish numbered(std::string topic, std::string payload, QoS qos, std::uint16_t id) {
  auto p = publish_packet(std::move(topic), std::move(payload), qos);
  p.packet_id = PacketId{id};
  return p;
}

Connect persistent(std::string id) {
  auto c = connect_packet(std::move(id));
  c.clean_start = false;
  c.props.session_expiry = 600;
  return c;
}

TEST_F(BrokerTest, ResumeRespectsTheNewConnectionsReceiveMaximum) {
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  {
    Conn s(*broker_);
    s.connect(persistent("s"));
    s.send(subscribe_packet("t"));
    s.received();
    for (int i = 0; i < 10; ++i) pub.send(numbered("t", std::to_string(i), QoS::AtLeastOnce, 1));
    EXPECT_EQ(only<Publish>(s.received()).size(), 10U);
    s.drop();
  }
  Conn s(*broker_);
  auto c = persistent("s");
  c.props.receive_maximum = 2;
  EXPECT_TRUE(s.connect(c).session_present);
  auto got = only<Publish>(s.received());
  ASSERT_EQ(got.size(), 2U);  // MQTT 5 §3.3.4 [MQTT-3.3.4-9]
  std::string order;
  for (int round = 0; round < 10 && !got.empty(); ++round) {
    for (const auto& p : got) {
      EXPECT_TRUE(p.dup);
      order += p.payload;
      s.send(Puback{.packet_id = p.packet_id});
    }
    got = only<Publish>(s.received());
  }
  EXPECT_EQ(order, "0123456789");
}

TEST_F(BrokerTest, ResendKeepsTheOriginalOrderWhenPacketIdsWrap) {
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  {
    Conn s(*broker_);
    s.connect(persistent("s"));
    s.send(subscribe_packet("t"));
    s.received();
    for (int i = 0; i < 65532; ++i) {
      pub.send(numbered("t", "old", QoS::AtLeastOnce, 1));
      for (const auto& p : only<Publish>(s.received())) s.send(Puback{.packet_id = p.packet_id});
    }
    for (int i = 0; i < 4; ++i) pub.send(numbered("t", std::to_string(i), QoS::AtLeastOnce, 1));
    const auto got = only<Publish>(s.received());
    ASSERT_EQ(got.size(), 4U);
    EXPECT_EQ(static_cast<int>(got[3].packet_id), 1);  // wrapped
    s.drop();
  }
  Conn s(*broker_);
  EXPECT_TRUE(s.connect(persistent("s")).session_present);
  std::string order;
  for (const auto& p : only<Publish>(s.received())) order += p.payload;
  EXPECT_EQ(order, "0123");  // [MQTT-4.6.0-1]
}

TEST(BrokerBackpressureTest, SubscriberThatStopsReadingKeepsItsQos1Messages) {
  core::FakeClock clock;
  asio::io_context io;
  BrokerOptions o;
  o.max_packet_size = 1024;
  o.max_queued_bytes = 1024;
  Broker broker(io, o, clock);
  {
    Conn s(broker);
    s.connect(persistent("s"));
    s.send(subscribe_packet("t"));
    s.stall();
    Conn pub(broker);
    pub.connect(connect_packet("pub"));
    for (int i = 0; i < 40; ++i) pub.send(numbered("t", std::string(200, 'x'), QoS::AtLeastOnce, 1));
    broker.tick();
  }
  EXPECT_EQ(broker.stats().dropped_too_large, 0U);
  Conn s(broker);
  EXPECT_TRUE(s.connect(persistent("s")).session_present);
  std::size_t delivered = 0;
  for (int round = 0; round < 40; ++round) {
    const auto got = only<Publish>(s.received());
    if (got.empty()) break;
    delivered += got.size();
    for (const auto& p : got) s.send(Puback{.packet_id = p.packet_id});
  }
  EXPECT_EQ(delivered + broker.stats().dropped_queue_full, 40U);
  EXPECT_GT(delivered, 5U);
}

TEST_F(BrokerTest, Qos2IdsAwaitingPubrelAreRareStateReleasedAfterTheLastPubrel) {
  Conn c(*broker_);
  c.connect(connect_packet("q2"));
  const Session& session = *c.client().session();
  EXPECT_FALSE(session.has_rare_state());
  c.send(numbered("t", "a", QoS::ExactlyOnce, 1));
  c.send(numbered("t", "b", QoS::ExactlyOnce, 2));
  EXPECT_EQ(only<Pubrec>(c.received()).size(), 2U);
  ASSERT_TRUE(session.has_rare_state());
  EXPECT_EQ(session.rare().awaiting_pubrel.size(), 2U);
  // A resent PUBLISH with an id awaiting PUBREL is still recognised (not delivered twice).
  c.send(numbered("t", "a", QoS::ExactlyOnce, 1));
  EXPECT_EQ(only<Pubrec>(c.received()).size(), 1U);
  c.send(Pubrel{.packet_id = PacketId{1}});
  EXPECT_EQ(only<Pubcomp>(c.received()).at(0).reason, PubcompReason::Success);
  EXPECT_TRUE(session.has_rare_state());
  c.send(Pubrel{.packet_id = PacketId{2}});
  EXPECT_EQ(only<Pubcomp>(c.received()).at(0).reason, PubcompReason::Success);
  EXPECT_FALSE(session.has_rare_state());
  // Unknown now, without allocating anything.
  c.send(Pubrel{.packet_id = PacketId{2}});
  EXPECT_EQ(only<Pubcomp>(c.received()).at(0).reason, PubcompReason::PacketIdentifierNotFound);
  EXPECT_FALSE(session.has_rare_state());
}

TEST_F(BrokerTest, V311ClientMayPipelineMoreQos2ThanTheV5ReceiveMaximum) {
  Conn c(*broker_, ProtocolVersion::V311);
  c.connect(connect_packet("old"));
  for (std::uint16_t i = 1; i <= 100; ++i) c.send(numbered("t", "x", QoS::ExactlyOnce, i));
  EXPECT_FALSE(c.closed());
  EXPECT_EQ(only<Pubrec>(c.received()).size(), 100U);
}

TEST_F(BrokerTest, SharedSubscriptionSkipsMembersThatAreOffline) {
  {
    Conn a(*broker_);
    a.connect(persistent("a"));
    a.send(subscribe_packet("$share/g/t"));
    a.drop();  // session kept, no connection
  }
  Conn b(*broker_);
  join(b, "b", "$share/g/t");
  Conn pub(*broker_);
  pub.connect(connect_packet("pub"));
  for (int i = 0; i < 4; ++i) pub.send(publish_packet("t", "q0"));
  for (int i = 0; i < 4; ++i) pub.send(numbered("t", "q1", QoS::AtLeastOnce, 1));
  EXPECT_EQ(only<Publish>(b.received()).size(), 8U);  // MQTT 5 §4.8.2
  EXPECT_EQ(broker_->stats().dropped_qos0_offline, 0U);
}

TEST_F(BrokerTest, SharedSubscriptionAlternatesBetweenOnlineMembers) {
  Conn a(*broker_);
  join(a, "a", "$share/g/t", QoS::AtMostOnce);
  Conn b(*broker_);
  join(b, "b", "$share/g/t", QoS::AtMostOnce);
  for (int i = 0; i < 10; ++i) broker_->publish(Message{.topic = "t", .payload = "x"});
  EXPECT_EQ(only<Publish>(a.received()).size(), 5U);
  EXPECT_EQ(only<Publish>(b.received()).size(), 5U);
}

TEST_F(BrokerTest, SessionRuleViolationsAreCountedAsProtocolErrors) {
  Conn c(*broker_);
  c.connect(connect_packet("c"));
  auto p = publish_packet("t", "x");
  p.props.topic_alias = 500;  // above the broker's Topic Alias Maximum
  c.send(p);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(broker_->stats().protocol_errors, 1U);
}

TEST_F(BrokerTest, DisconnectLosesItsReasonStringRatherThanExceedTheClientsMaximum) {
  Conn c(*broker_);
  auto connect = connect_packet("c");
  connect.props.maximum_packet_size = 16;
  c.connect(connect);
  auto p = publish_packet("t", "x");
  p.props.topic_alias = 500;
  c.send(p);
  const auto got = only<Disconnect>(c.received());
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].reason, DisconnectReason::TopicAliasInvalid);
  EXPECT_FALSE(got[0].props.reason_string);  // MQTT 5 §3.1.2.11.4 [MQTT-3.1.2-24]
}

TEST_F(BrokerTest, DestroyingTheBrokerEndsOpenConnectionsSafely) {
  Conn c(*broker_);
  c.connect(connect_packet("a"));
  broker_.reset();
  EXPECT_TRUE(c.closed());
}

}  // namespace
}  // namespace gw::broker

// Broker limits on the sans-I/O path (in-memory transports, FakeClock): connections in total and
// per listener, connect rate per source address, subscriptions per client, topic length and
// levels; each refusal with the reason code the version allows, and each hit counted by kind.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/broker/broker_fixture.hpp"

namespace gw::broker {
namespace {

class LimitsTest : public ::testing::Test {
 protected:
  // A broker with `change` applied to the test defaults.
  template <typename F>
  Broker& start(F change) {
    BrokerOptions o;
    o.connect_timeout = 5s;
    change(o);
    broker_ = std::make_unique<Broker>(io_, o, clock_);
    return *broker_;
  }
  [[nodiscard]] std::uint64_t hits(LimitKind kind) const {
    return broker_->stats().limit_hit_count(kind);
  }
  core::FakeClock clock_;
  asio::io_context io_;
  std::unique_ptr<Broker> broker_;
};

Subscribe subscribe_filters(std::vector<std::string> filters, std::uint16_t id = 1) {
  Subscribe s;
  s.packet_id = PacketId{id};
  for (auto& f : filters) s.subscriptions.push_back({*TopicFilter::make(std::move(f)), {.max_qos = QoS::AtLeastOnce}});
  return s;
}

std::vector<SubackReason> suback_reasons(Conn& c) {
  const auto acks = only<Suback>(c.received());
  if (acks.size() != 1) return {};
  return acks[0].reasons;
}

// --- connections ---

TEST_F(LimitsTest, MaxConnectionsRefusesTheConnectionBeyondTheTotal) {
  auto& b = start([](BrokerOptions& o) { o.max_connections = 2; });
  auto first = std::make_unique<Conn>(b);
  Conn second(b);
  Conn third(b);
  EXPECT_FALSE(first->refused());
  EXPECT_FALSE(second.refused());
  EXPECT_TRUE(third.refused());
  EXPECT_EQ(hits(LimitKind::Connections), 1U);
  EXPECT_EQ(b.stats().connections_refused, 1U);
  first.reset();  // its place is free again
  Conn fourth(b);
  EXPECT_FALSE(fourth.refused());
  EXPECT_EQ(fourth.connect(connect_packet("d")).reason, ConnackReason::Success);
}

TEST_F(LimitsTest, ListenerMaxConnectionsLeavesOtherListenersAlone) {
  auto& b = start([](BrokerOptions&) {});
  auto small = std::make_shared<ListenerSlot>(ListenerSlot{.name = "small", .max_connections = 1});
  auto other = std::make_shared<ListenerSlot>(ListenerSlot{.name = "other", .max_connections = {}});
  auto first = std::make_unique<Conn>(b, ProtocolVersion::V5, "test", small);
  Conn refused(b, ProtocolVersion::V5, "test", small);
  Conn elsewhere(b, ProtocolVersion::V5, "test", other);
  EXPECT_FALSE(first->refused());
  EXPECT_TRUE(refused.refused());
  EXPECT_FALSE(elsewhere.refused());
  EXPECT_EQ(hits(LimitKind::ListenerConnections), 1U);
  EXPECT_EQ(hits(LimitKind::Connections), 0U);
  EXPECT_EQ(small->current, 1U);
  first.reset();
  EXPECT_EQ(small->current, 0U);
  Conn again(b, ProtocolVersion::V5, "test", small);
  EXPECT_FALSE(again.refused());
}

TEST_F(LimitsTest, ConnectRateRefusesMqtt5With0x9FAndOtherAddressesConnect) {
  auto& b = start([](BrokerOptions& o) {
    o.max_connect_rate = 1;
    o.max_connect_burst = 2;
  });
  Conn a1(b, ProtocolVersion::V5, "192.0.2.7");
  Conn a2(b, ProtocolVersion::V5, "192.0.2.7");
  Conn a3(b, ProtocolVersion::V5, "192.0.2.7");
  Conn other(b, ProtocolVersion::V5, "192.0.2.8");
  EXPECT_EQ(a1.connect(connect_packet("a1")).reason, ConnackReason::Success);
  EXPECT_EQ(a2.connect(connect_packet("a2")).reason, ConnackReason::Success);
  EXPECT_EQ(a3.connect(connect_packet("a3")).reason, ConnackReason::ConnectionRateExceeded);
  EXPECT_TRUE(a3.closed());
  EXPECT_EQ(other.connect(connect_packet("other")).reason, ConnackReason::Success);
  EXPECT_EQ(hits(LimitKind::ConnectRate), 1U);
  EXPECT_EQ(b.session_count(), 3U);  // a3 made no session
  // One token per second comes back.
  clock_.advance(1s);
  Conn a4(b, ProtocolVersion::V5, "192.0.2.7");
  EXPECT_EQ(a4.connect(connect_packet("a4")).reason, ConnackReason::Success);
  Conn a5(b, ProtocolVersion::V5, "192.0.2.7");
  EXPECT_EQ(a5.connect(connect_packet("a5")).reason, ConnackReason::ConnectionRateExceeded);
}

TEST_F(LimitsTest, ConnectRateRefusesMqtt311WithServerUnavailable) {
  auto& b = start([](BrokerOptions& o) {
    o.max_connect_rate = 1;
    o.max_connect_burst = 1;
  });
  Conn a1(b, ProtocolVersion::V311, "192.0.2.7");
  Conn a2(b, ProtocolVersion::V311, "192.0.2.7");
  EXPECT_EQ(a1.connect(connect_packet("a1")).reason, ConnackReason::Success);
  // 3.1.1 return code 3 decodes as ServerUnavailable.
  EXPECT_EQ(a2.connect(connect_packet("a2")).reason, ConnackReason::ServerUnavailable);
  EXPECT_TRUE(a2.closed());
}

TEST_F(LimitsTest, ConnectRateZeroIsNoLimit) {
  auto& b = start([](BrokerOptions& o) {
    o.max_connect_rate = 0;
    o.max_connect_burst = 1;
  });
  std::vector<std::unique_ptr<Conn>> conns;
  for (int i = 0; i < 50; ++i) {
    conns.push_back(std::make_unique<Conn>(b, ProtocolVersion::V5, "192.0.2.7"));
    EXPECT_EQ(conns.back()->connect(connect_packet("c" + std::to_string(i))).reason,
              ConnackReason::Success);
  }
  EXPECT_EQ(hits(LimitKind::ConnectRate), 0U);
}

// --- subscriptions ---

TEST_F(LimitsTest, SubscriptionsBeyondTheMaximumGetQuotaExceededForThoseFiltersOnly) {
  auto& b = start([](BrokerOptions& o) { o.max_subscriptions_per_client = 2; });
  Conn c(b);
  c.connect(connect_packet("c"));
  c.send(subscribe_filters({"a", "b", "c"}));
  EXPECT_EQ(suback_reasons(c), (std::vector<SubackReason>{SubackReason::GrantedQoS1, SubackReason::GrantedQoS1,
                                                          SubackReason::QuotaExceeded}));
  // Subscribing again to a filter it holds replaces it: no new subscription, no refusal.
  c.send(subscribe_filters({"a"}, 2));
  EXPECT_EQ(suback_reasons(c), std::vector<SubackReason>{SubackReason::GrantedQoS1});
  EXPECT_EQ(hits(LimitKind::Subscriptions), 1U);
  // Another client has its own allowance.
  Conn other(b);
  other.connect(connect_packet("other"));
  other.send(subscribe_filters({"a", "b"}));
  EXPECT_EQ(suback_reasons(other),
            (std::vector<SubackReason>{SubackReason::GrantedQoS1, SubackReason::GrantedQoS1}));
  // Unsubscribing frees a place.
  c.send(Unsubscribe{.packet_id = PacketId{3}, .filters = {*TopicFilter::make("b")}, .props = {}});
  c.received();
  c.send(subscribe_filters({"c"}, 4));
  EXPECT_EQ(suback_reasons(c), std::vector<SubackReason>{SubackReason::GrantedQoS1});
  // The refused filter delivers nothing; the granted ones do.
  Conn pub(b);
  pub.connect(connect_packet("pub"));
  pub.send(publish_packet("c", "x"));
  EXPECT_EQ(only<Publish>(c.received()).size(), 1U);
  EXPECT_EQ(b.check_invariants(), "");
}

TEST_F(LimitsTest, SubscriptionsBeyondTheMaximumFailWith0x80ForMqtt311) {
  auto& b = start([](BrokerOptions& o) { o.max_subscriptions_per_client = 1; });
  Conn c(b, ProtocolVersion::V311);
  c.connect(connect_packet("c"));
  c.send(subscribe_filters({"a", "b"}));
  EXPECT_EQ(suback_reasons(c),
            (std::vector<SubackReason>{SubackReason::GrantedQoS1, SubackReason::UnspecifiedError}));
  EXPECT_FALSE(c.closed());
}

// --- topic length and levels ---

TEST_F(LimitsTest, PublishOverTopicLengthIsRefusedInTheAckForQos1And2) {
  auto& b = start([](BrokerOptions& o) { o.max_topic_length = 5; });
  Conn sub(b);
  join(sub, "sub", "#");
  Conn c(b);
  c.connect(connect_packet("c"));
  c.send(publish_packet("abcdef", "x", QoS::AtLeastOnce));
  auto got = c.received();
  ASSERT_EQ(only<Puback>(got).size(), 1U);
  EXPECT_EQ(only<Puback>(got)[0].reason, PubackReason::TopicNameInvalid);
  c.send(publish_packet("abcdef", "x", QoS::ExactlyOnce));
  got = c.received();
  ASSERT_EQ(only<Pubrec>(got).size(), 1U);
  EXPECT_EQ(only<Pubrec>(got)[0].reason, PubrecReason::TopicNameInvalid);
  EXPECT_FALSE(c.closed());
  EXPECT_TRUE(only<Publish>(sub.received()).empty());
  // Exactly at the limit is fine.
  c.send(publish_packet("abcde", "x", QoS::AtLeastOnce));
  EXPECT_EQ(only<Puback>(c.received())[0].reason, PubackReason::Success);
  EXPECT_EQ(only<Publish>(sub.received()).size(), 1U);
  EXPECT_EQ(hits(LimitKind::TopicLength), 2U);
}

TEST_F(LimitsTest, Qos0PublishOverTopicLevelsDisconnectsWith0x90) {
  auto& b = start([](BrokerOptions& o) { o.max_topic_levels = 3; });
  Conn c(b);
  c.connect(connect_packet("c"));
  c.send(publish_packet("a/b/c", "x"));
  EXPECT_FALSE(c.closed());
  c.send(publish_packet("a/b/c/d", "x"));
  const auto got = only<Disconnect>(c.received());
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].reason, DisconnectReason::TopicNameInvalid);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(hits(LimitKind::TopicLevels), 1U);
}

TEST_F(LimitsTest, Mqtt311PublishOverTheLimitClosesTheConnection) {
  auto& b = start([](BrokerOptions& o) { o.max_topic_levels = 2; });
  Conn c(b, ProtocolVersion::V311);
  c.connect(connect_packet("c"));
  c.send(publish_packet("a/b/c", "x", QoS::AtLeastOnce));
  EXPECT_TRUE(c.received().empty());
  EXPECT_TRUE(c.closed());
}

TEST_F(LimitsTest, FiltersOverTheLimitsGet0x8FAndSharedPrefixIsNotALevel) {
  auto& b = start([](BrokerOptions& o) {
    o.max_topic_levels = 3;
    o.max_topic_length = 20;
  });
  Conn c(b);
  c.connect(connect_packet("c"));
  c.send(subscribe_filters({"a/b/#", "a/b/c/#", "$share/g/a/b/c", "0123456789/0123456789"}));
  EXPECT_EQ(suback_reasons(c),
            (std::vector<SubackReason>{SubackReason::GrantedQoS1, SubackReason::TopicFilterInvalid,
                                       SubackReason::GrantedQoS1, SubackReason::TopicFilterInvalid}));
  EXPECT_EQ(hits(LimitKind::TopicLevels), 1U);
  EXPECT_EQ(hits(LimitKind::TopicLength), 1U);
  Conn v3(b, ProtocolVersion::V311);
  v3.connect(connect_packet("v3"));
  v3.send(subscribe_filters({"a/b/c/d"}));
  EXPECT_EQ(suback_reasons(v3), std::vector<SubackReason>{SubackReason::UnspecifiedError});
}

TEST_F(LimitsTest, WillTopicOverTheLimitRefusesTheConnect) {
  auto& b = start([](BrokerOptions& o) { o.max_topic_levels = 2; });
  auto with_will = [](std::string id) {
    auto p = connect_packet(std::move(id));
    p.will = Will{.topic = *TopicName::make("a/b/c"), .payload = "gone"};
    return p;
  };
  Conn v5(b);
  EXPECT_EQ(v5.connect(with_will("v5")).reason, ConnackReason::TopicNameInvalid);
  EXPECT_TRUE(v5.closed());
  // MQTT 3.1.1 has no return code for it: closed without CONNACK.
  Conn v3(b, ProtocolVersion::V311);
  auto p = with_will("v3");
  p.version = ProtocolVersion::V311;
  v3.send(p);
  EXPECT_TRUE(v3.received().empty());
  EXPECT_TRUE(v3.closed());
  EXPECT_EQ(b.session_count(), 0U);
  EXPECT_EQ(hits(LimitKind::TopicLevels), 2U);
}

TEST_F(LimitsTest, QueueLimitsCountTheirKind) {
  auto& b = start([](BrokerOptions& o) { o.max_queued_messages = 2; });
  {
    Conn sub(b);
    auto p = connect_packet("sub");
    p.props.session_expiry = 600;
    p.clean_start = true;
    sub.connect(p);
    sub.send(subscribe_packet("t"));
    sub.received();
    sub.drop();
  }
  Conn pub(b);
  pub.connect(connect_packet("pub"));
  for (int i = 0; i < 5; ++i) pub.send(publish_packet("t", "x", QoS::AtLeastOnce));
  EXPECT_EQ(hits(LimitKind::QueuedMessages), 3U);
  EXPECT_EQ(b.stats().dropped_queue_full, 3U);
  EXPECT_EQ(b.check_invariants(), "");
}

}  // namespace
}  // namespace gw::broker

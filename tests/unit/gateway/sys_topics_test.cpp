// $SYS publication with a FakeClock: a real Broker, a local subscriber to `$SYS/#` collecting
// what is published, and time moved by hand, so "nothing before the interval" and "unchanged
// values are not sent again" are exact.
#include "gateway/sys_topics.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "broker/local_client.hpp"
#include "broker/sys_topic.hpp"

namespace gw::gateway {
namespace {

using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::Field;

class SysTopicsTest : public ::testing::Test {
 protected:
  SysTopicsTest() {
    EXPECT_TRUE(watcher_.subscribe("$SYS/#", [this](const std::shared_ptr<const Message>& m) {
      got_.push_back({m->topic, m->payload});
      EXPECT_TRUE(m->retain) << m->topic;
    }));
  }

  MetricsSnapshot snapshot() {
    MetricsSnapshot m;
    m.version = "1.2.3";
    m.uptime = std::chrono::duration_cast<std::chrono::seconds>(clock_.steady() - started_);
    m.now_ms = clock_.wall_ms();
    m.broker = broker_.stats();
    m.sessions = broker_.session_count();
    m.retained = broker_.retained_count();
    m.subscriptions = broker_.subscription_count();
    m.bridge = bridge_;
    return m;
  }

  // What the subscriber received since the last call, topic → payload.
  std::map<std::string, std::string> take() {
    io_.restart();
    io_.poll();
    std::map<std::string, std::string> out;
    for (auto& v : got_) out[v.topic] = v.payload;
    got_.clear();
    return out;
  }

  core::FakeClock clock_;
  core::Clock::time_point started_ = clock_.steady();
  asio::io_context io_;
  broker::Broker broker_{io_, broker::BrokerOptions{}, clock_};
  broker::LocalClient watcher_{broker_, "watcher"};
  std::vector<SysValue> got_;
  std::optional<bridge::BridgeStats> bridge_;
  SysTopics sys_{io_, broker_, clock_, 10s, [this] { return snapshot(); }};
};

TEST_F(SysTopicsTest, PublishesEverythingAtStartThenNothingBeforeTheInterval) {
  sys_.start();
  auto first = take();
  EXPECT_EQ(first["$SYS/broker/version"], "edge-gateway 1.2.3");
  EXPECT_EQ(first["$SYS/broker/uptime"], "0 seconds");
  EXPECT_EQ(first["$SYS/broker/clients/connected"], "0");
  EXPECT_EQ(first["$SYS/broker/messages/received"], "0");
  EXPECT_EQ(first["$SYS/broker/retained messages/count"], "0");
  EXPECT_EQ(first["$SYS/broker/subscriptions/count"], "1");  // the watcher
  EXPECT_EQ(first.count("$SYS/gateway/bridge/connected"), 0U);  // no bridge configured
  EXPECT_EQ(first.size(), sys_values(snapshot(), {}).size());

  ASSERT_TRUE(broker::LocalClient(broker_, "field").publish(
      Message{.topic = "plant/boiler/temp", .payload = "21.5"}));
  clock_.advance(10s - 1ms);
  sys_.tick();
  EXPECT_TRUE(take().empty());
}

TEST_F(SysTopicsTest, SendsOnlyTheValuesThatChangedAfterEachInterval) {
  sys_.start();
  const std::size_t all = take().size();
  ASSERT_TRUE(broker::LocalClient(broker_, "field").publish(
      Message{.topic = "plant/boiler/temp", .payload = "21.5", .retain = true}));
  clock_.advance(10s);
  sys_.tick();
  auto next = take();
  EXPECT_EQ(next["$SYS/broker/messages/received"], "1");
  // The $SYS messages themselves are retained too, and counted.
  EXPECT_EQ(next["$SYS/broker/retained messages/count"], std::to_string(broker_.retained_count()));
  EXPECT_EQ(next["$SYS/broker/uptime"], "10 seconds");
  EXPECT_EQ(next.count("$SYS/broker/version"), 0U);
  EXPECT_EQ(next.count("$SYS/broker/clients/connected"), 0U);
  EXPECT_LT(next.size(), all / 2);

  // Idle: the uptime and the decaying load averages, nothing else.
  clock_.advance(10s);
  sys_.tick();
  auto idle = take();
  EXPECT_EQ(idle["$SYS/broker/uptime"], "20 seconds");
  for (const auto& [topic, payload] : idle) {
    EXPECT_TRUE(topic == "$SYS/broker/uptime" || topic.starts_with("$SYS/broker/load/"))
        << topic << " " << payload;
  }
}

TEST_F(SysTopicsTest, OwnPublicationsAreNotCountedAsReceivedNorMatchedByWildcards) {
  std::vector<std::string> hash;
  ASSERT_TRUE(watcher_.subscribe("#", [&](const std::shared_ptr<const Message>& m) {
    hash.push_back(m->topic);
  }));
  ASSERT_TRUE(watcher_.subscribe("+/broker/#", [&](const std::shared_ptr<const Message>& m) {
    hash.push_back(m->topic);
  }));
  sys_.start();
  EXPECT_FALSE(take().empty());
  EXPECT_TRUE(hash.empty()) << hash.front();
  EXPECT_EQ(broker_.stats().messages_received, 0U);
  EXPECT_GT(broker_.retained_count(), 20U);  // retained, so a later subscriber gets them
}

TEST_F(SysTopicsTest, LoadAveragesFollowMosquittosOneMinuteFormula) {
  sys_.start();
  take();
  broker::LocalClient field(broker_, "field");
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(field.publish(Message{.topic = "a/b", .payload = "x"}));
  clock_.advance(60s);
  sys_.tick();
  // 60 per minute for one minute, smoothed from 0: 60 × (1 − e⁻¹) = 37.93.
  EXPECT_EQ(take()["$SYS/broker/load/messages/received/1min"], "37.93");
}

bridge::BridgeStats bridge_stats(std::uint64_t rows, std::uint64_t acked) {
  bridge::BridgeStats b;
  b.connected = true;
  b.outbox.rows = rows;
  b.outbox.bytes = rows * 100;
  b.acked = acked;
  return b;
}

TEST_F(SysTopicsTest, BridgeDrainRateAndEtaComeFromAcknowledgementsOverTheInterval) {
  bridge_ = bridge_stats(1000, 0);
  bridge_->outbox.oldest_stored_at = clock_.wall_ms() - 90'000;
  sys_.start();
  auto first = take();
  EXPECT_EQ(first["$SYS/broker/connection/uplink/state"], "1");
  EXPECT_EQ(first["$SYS/gateway/bridge/connected"], "1");
  EXPECT_EQ(first["$SYS/gateway/bridge/backlog/messages"], "1000");
  EXPECT_EQ(first["$SYS/gateway/bridge/backlog/bytes"], "100000");
  EXPECT_EQ(first["$SYS/gateway/bridge/backlog/oldest_age_seconds"], "90");
  EXPECT_EQ(first["$SYS/gateway/bridge/drain_rate"], "0.00");
  EXPECT_EQ(first["$SYS/gateway/bridge/eta_seconds"], "-1");  // not draining (yet)
  EXPECT_EQ(first["$SYS/gateway/bridge/dropped/overflow_rows"], "0");
  EXPECT_EQ(first["$SYS/gateway/bridge/send_refused/buffer_full"], "0");

  bridge_ = bridge_stats(800, 200);  // 200 acknowledged in 10 s
  clock_.advance(10s);
  sys_.tick();
  auto next = take();
  EXPECT_EQ(next["$SYS/gateway/bridge/drain_rate"], "20.00");
  EXPECT_EQ(next["$SYS/gateway/bridge/eta_seconds"], "40");
  EXPECT_EQ(next["$SYS/gateway/bridge/backlog/messages"], "800");
  EXPECT_EQ(next["$SYS/gateway/bridge/messages/acked"], "200");
  EXPECT_EQ(next["$SYS/gateway/bridge/backlog/oldest_age_seconds"], "0");
  EXPECT_EQ(next.count("$SYS/gateway/bridge/connected"), 0U);

  bridge_ = bridge_stats(0, 1000);
  bridge_->connected = false;
  bridge_->outbox.drops[bridge::DropReason::OverflowRows] = 3;
  bridge_->send_refused[bridge::SendRefusal::Disconnected] = 2;
  clock_.advance(10s);
  sys_.tick();
  auto drained = take();
  EXPECT_EQ(drained["$SYS/gateway/bridge/eta_seconds"], "0");
  EXPECT_EQ(drained["$SYS/gateway/bridge/connected"], "0");
  EXPECT_EQ(drained["$SYS/broker/connection/uplink/state"], "0");
  EXPECT_EQ(drained["$SYS/gateway/bridge/dropped/overflow_rows"], "3");
  EXPECT_EQ(drained["$SYS/gateway/bridge/send_refused/disconnected"], "2");
}

TEST_F(SysTopicsTest, TopicsOfARemovedBridgeAreCleared) {
  bridge_ = bridge_stats(5, 0);
  sys_.start();
  take();
  const std::size_t retained_with_bridge = broker_.retained_count();
  bridge_.reset();
  clock_.advance(10s);
  sys_.tick();
  auto next = take();
  EXPECT_EQ(next.at("$SYS/gateway/bridge/backlog/messages"), "");
  EXPECT_EQ(next.at("$SYS/broker/connection/uplink/state"), "");
  // The empty retained messages deleted the stored ones.
  EXPECT_LT(broker_.retained_count(), retained_with_bridge);
  EXPECT_EQ(broker_.retained_count(), sys_values(snapshot(), {}).size());
}

TEST(SysValues, UseMosquittosTopicNamesWhereMosquittoHasTheValue) {
  const auto values = sys_values(MetricsSnapshot{}, {});
  for (const char* topic :
       {"$SYS/broker/version", "$SYS/broker/uptime", "$SYS/broker/clients/connected",
        "$SYS/broker/clients/disconnected", "$SYS/broker/clients/total",
        "$SYS/broker/clients/maximum", "$SYS/broker/messages/received",
        "$SYS/broker/messages/sent", "$SYS/broker/bytes/received", "$SYS/broker/bytes/sent",
        "$SYS/broker/publish/messages/dropped", "$SYS/broker/retained messages/count",
        "$SYS/broker/subscriptions/count", "$SYS/broker/load/messages/received/1min",
        "$SYS/broker/load/bytes/sent/1min"}) {
    EXPECT_THAT(values, Contains(Field(&SysValue::topic, topic)));
  }
  for (const SysValue& v : values) EXPECT_TRUE(broker::is_sys_topic(v.topic)) << v.topic;
}

TEST(SysValues, CarryTheSameCountersAsTheMetricsEndpoint) {
  MetricsSnapshot s;
  s.broker.messages_received = 7;
  s.broker.bytes_received = 1234;
  s.broker.bytes_sent = 4321;
  s.broker.connections_maximum = 9;
  s.broker.dropped_queue_full = 2;
  s.retained = 3;
  s.subscriptions = 5;
  std::map<std::string, std::string> sys;
  for (const SysValue& v : sys_values(s, {})) sys[v.topic] = v.payload;
  const std::string prom = render_prometheus(s);
  const auto both = [&](const std::string& topic, const std::string& series) {
    EXPECT_NE(prom.find("\n" + series + " " + sys[topic] + "\n"), std::string::npos)
        << series << " is not " << topic << " = '" << sys[topic] << "'";
  };
  both("$SYS/broker/messages/received", "edge_gateway_mqtt_messages_received_total");
  both("$SYS/broker/bytes/received", "edge_gateway_mqtt_received_bytes_total");
  both("$SYS/broker/bytes/sent", "edge_gateway_mqtt_sent_bytes_total");
  both("$SYS/broker/clients/maximum", "edge_gateway_mqtt_connections_maximum");
  both("$SYS/broker/messages/dropped/queue_full",
       "edge_gateway_mqtt_messages_dropped_total{reason=\"queue_full\"}");
  both("$SYS/broker/retained messages/count", "edge_gateway_mqtt_retained_messages");
  both("$SYS/broker/subscriptions/count", "edge_gateway_mqtt_subscriptions");
  EXPECT_EQ(sys["$SYS/broker/bytes/received"], "1234");
}

TEST(SysTopic, IsTheSysTreeOnly) {
  EXPECT_TRUE(broker::is_sys_topic("$SYS"));
  EXPECT_TRUE(broker::is_sys_topic("$SYS/broker/version"));
  EXPECT_FALSE(broker::is_sys_topic("$SYSTEM/x"));
  EXPECT_FALSE(broker::is_sys_topic("$sys/broker"));
  EXPECT_FALSE(broker::is_sys_topic("plant/$SYS"));
}

}  // namespace
}  // namespace gw::gateway

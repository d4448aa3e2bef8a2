// The bridge obeys what the cloud broker announces in CONNACK (Maximum Packet Size, Receive
// Maximum, Maximum QoS, Retain Available) and its own outbox limits; and downstream routes bring
// cloud commands to local subscribers without sending them back up.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "gateway/bridge/outbox.hpp"
#include "tests/integration/bridge_harness.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

TEST(BridgeLimits, DeadLettersMessageOverServerMaximumPacketSize) {
  MosquittoProcess cloud({.max_packet_size = 1024, .max_inflight_messages = {}, .max_qos = {}, .retain_available = {}});
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  TempDir dir;
  const auto options = bridge_options(cloud.uri(), dir.path().string());
  {
    LocalSide local;
    ASSERT_TRUE(local.start_bridge(options));
    ASSERT_TRUE(wait_until([&] { return local.stats().connected; }));
    EXPECT_EQ(local.stats().limits.max_packet_size, 1024u);
    local.publish("dev/a", "small-1");
    local.publish("dev/a", std::string(2000, 'x'));
    local.publish("dev/a", "small-2");
    ASSERT_TRUE(sub.wait_count(2));
    ASSERT_TRUE(wait_until([&] {
      auto s = local.stats();
      return s.acked == 2 && s.outbox.rows == 0 && s.outbox.dead_letters == 1;
    }));
    const auto s = local.stats();
    EXPECT_EQ(s.oversize, 1u);
    EXPECT_EQ(s.dead_lettered, 1u);
    EXPECT_EQ(s.outbox.dead_letters, 1u);
    EXPECT_TRUE(s.connected);  // the remote never saw the big one
    ASSERT_EQ(sub.received().size(), 2u);
    EXPECT_EQ(sub.received()[0].payload, "small-1");
    EXPECT_EQ(sub.received()[1].payload, "small-2");
  }
  // The dead letter is in the file with its reason.
  core::SystemClock clock;
  auto outbox = bridge::Outbox::open(options.outbox, clock);
  ASSERT_TRUE(outbox);
  auto dead = (*outbox)->dead_letters(10);
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].stored.message.payload.size(), 2000u);
  EXPECT_NE((*dead)[0].reason.find("exceeds the server's Maximum Packet Size 1024"), std::string::npos)
      << (*dead)[0].reason;
}

// A backlog of `n` messages, stored while the uplink was cut, drained to a cloud whose Receive
// Maximum is `cloud_window` by a bridge capped at `bridge_window`; `check` gets the bridge's
// statistics and what the cloud subscriber received, once all `n` are acknowledged.
template <class Check>
void drain_backlog(std::uint32_t cloud_window, std::uint16_t bridge_window, int n, Check check) {
  MosquittoProcess cloud({.max_packet_size = {},
                          .max_inflight_messages = cloud_window,
                          .max_qos = {},
                          .retain_available = {}});
  TcpProxy proxy(cloud.port());
  proxy.cut();
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  TempDir dir;
  LocalSide local;
  auto options = bridge_options(proxy.uri(), dir.path().string());
  options.max_inflight = bridge_window;
  ASSERT_TRUE(local.start_bridge(options));
  for (int i = 0; i < n; ++i) local.publish("dev/x", std::to_string(i));
  const auto all = static_cast<std::uint64_t>(n);
  ASSERT_TRUE(wait_until([&] { return local.stats().outbox.rows == all; }));
  proxy.restore();  // a backlog: the window fills at once
  ASSERT_TRUE(sub.wait_count(n));
  ASSERT_TRUE(wait_until([&] { return local.stats().acked == all; }));
  const auto s = local.stats();
  EXPECT_EQ(s.acked, all);
  check(s, sub.received());
}

TEST(BridgeLimits, KeepsInflightWithinServerReceiveMaximum) {
  drain_backlog(5, 64, 400, [](const auto& s, const auto&) {
    EXPECT_EQ(s.limits.receive_maximum, 5);
    EXPECT_EQ(s.inflight_high_water, 5u);
  });
}

// Paho refuses a PUBLISH beyond its maxBufferedMessages (100 by default) even while connected;
// the window the server and the options allow must be usable all the same.
TEST(BridgeLimits, FillsWindowAboveOneHundredWhenServerAllowsIt) {
  constexpr int kN = 2000;
  drain_backlog(500, 500, kN, [](const auto& s, const auto& received) {
    EXPECT_EQ(s.limits.receive_maximum, 500);
    EXPECT_EQ(s.inflight_high_water, 500u);
    ASSERT_EQ(received.size(), static_cast<std::size_t>(kN));
    for (int i = 0; i < kN; ++i) ASSERT_EQ(received[i].payload, std::to_string(i)) << "at " << i;
  });
}

TEST(BridgeLimits, CapsQosAndClearsRetainWhenServerCannot) {
  MosquittoProcess cloud({.max_packet_size = {}, .max_inflight_messages = {}, .max_qos = 0, .retain_available = false});
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 0));
  TempDir dir;
  LocalSide local;
  ASSERT_TRUE(local.start_bridge(bridge_options(cloud.uri(), dir.path().string())));
  ASSERT_TRUE(wait_until([&] { return local.stats().connected; }));
  EXPECT_EQ(local.stats().limits.maximum_qos, QoS::AtMostOnce);
  EXPECT_FALSE(local.stats().limits.retain_available);

  local.publish(Message{.topic = "dev/q", .payload = "1", .qos = QoS::AtLeastOnce, .retain = false, .props = {}});
  local.publish(Message{.topic = "dev/q", .payload = "2", .qos = QoS::ExactlyOnce, .retain = true, .props = {}});
  ASSERT_TRUE(sub.wait_count(2));
  for (const auto& r : sub.received()) EXPECT_EQ(r.qos, 0);
  ASSERT_TRUE(wait_until([&] { return local.stats().acked == 2; }));
  const auto s = local.stats();
  EXPECT_EQ(s.qos_downgraded, 2u);
  EXPECT_EQ(s.retain_cleared, 1u);
  EXPECT_EQ(s.connects, 1u);  // a retained PUBLISH would have cost the connection
}

TEST(BridgeLimits, DropsOldestAndCountsWhenOutboxIsFull) {
  MosquittoProcess cloud;
  TcpProxy proxy(cloud.port());
  proxy.cut();
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  TempDir dir;
  LocalSide local;
  auto options = bridge_options(proxy.uri(), dir.path().string());
  options.outbox.max_rows = 10;
  options.outbox.overflow = bridge::OverflowPolicy::DropOldest;
  ASSERT_TRUE(local.start_bridge(options));
  for (int i = 0; i < 25; ++i) local.publish("dev/x", std::to_string(i));
  ASSERT_TRUE(wait_until([&] {
    auto s = local.stats();
    return s.outbox.drops[bridge::DropReason::OverflowRows] == 15 && s.outbox.pending_writes == 0;
  }));
  auto s = local.stats();
  EXPECT_EQ(s.outbox.rows, 10u);
  EXPECT_EQ(s.outbox.drops[bridge::DropReason::OverflowRows], 15u);
  EXPECT_EQ(s.append_failures, 0u);

  proxy.restore();
  ASSERT_TRUE(sub.wait_count(10));
  std::vector<std::string> got;
  for (const auto& r : sub.received()) got.push_back(r.payload);
  std::vector<std::string> want;
  for (int i = 15; i < 25; ++i) want.push_back(std::to_string(i));
  EXPECT_EQ(got, want);
}

TEST(BridgeLimits, RefusesNewestAndCountsWhenPolicyIsDropNewest) {
  TempDir dir;
  LocalSide local;
  // Nobody listens on this port: the uplink stays down.
  auto options = bridge_options("mqtt://127.0.0.1:" + std::to_string(free_port()), dir.path().string());
  options.outbox.max_rows = 10;
  options.outbox.overflow = bridge::OverflowPolicy::DropNewest;
  ASSERT_TRUE(local.start_bridge(options));
  for (int i = 0; i < 25; ++i) local.publish("dev/x", std::to_string(i));
  ASSERT_TRUE(wait_until([&] {
    auto s = local.stats();
    return s.outbox.drops[bridge::DropReason::OverflowRows] == 15 && s.outbox.pending_writes == 0;
  }));
  const auto s = local.stats();
  EXPECT_EQ(s.outbox.rows, 10u);
  EXPECT_EQ(s.append_failures, 15u);
  EXPECT_EQ(s.outbox.drops[bridge::DropReason::OverflowRows], 15u);
}

TEST(BridgeDownstream, DeliversCloudCommandLocallyAndNotBackUp) {
  MosquittoProcess cloud;
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  TempDir dir;
  LocalSide local;
  local.subscribe("dev/#");
  auto options = bridge_options(cloud.uri(), dir.path().string());
  // Cloud "down/valve/set" → local "dev/valve/set", which the upstream route "dev/#" also matches:
  // only No Local keeps it from going straight back up.
  options.downstream = {bridge::DownstreamRoute{.name = "commands",
                                                .remote_filter = "down/#",
                                                .local = {.strip_prefix = "down/", .target = "dev/{topic}"},
                                                .qos = QoS::AtLeastOnce}};
  ASSERT_TRUE(local.start_bridge(options));
  ASSERT_TRUE(wait_until([&] { return local.stats().connected; }));
  // The SUBSCRIBE was sent right after CONNACK; a QoS 1 publish by another client after the
  // subscriber's own SUBACK round trip is ordered behind it on the broker.
  CloudClient commander(cloud.uri(), "commander");
  ASSERT_TRUE(commander.connect());
  ASSERT_TRUE(wait_until([&] {
    commander.publish("down/ping", "ping", 1);
    return local.stats().downstream_published > 0;
  }, 5s));

  ASSERT_TRUE(commander.publish("down/valve/set", "open", 1));
  ASSERT_TRUE(wait_until([&] {
    for (const auto& m : local.received()) {
      if (m.topic == "dev/valve/set" && m.payload == "open") return true;
    }
    return false;
  }));
  // A local message after it: once it reaches the cloud, the command would have too.
  local.publish("dev/marker", "marker");
  ASSERT_TRUE(sub.wait_count(1));
  ASSERT_TRUE(wait_until([&] { return local.stats().acked == 1; }));
  const auto got = sub.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].topic, "cloud/dev/marker");
  const auto s = local.stats();
  EXPECT_EQ(s.received, 1u);  // only the marker went into the outbox
  EXPECT_GE(s.downstream_published, 2u);
}

}  // namespace
}  // namespace gw::test

// The native uplink client's topic aliases (MQTT 5 §3.3.2.3.4) against a real Mosquitto, which
// offers a Topic Alias Maximum of 10: a long topic crosses the link in full once, then as its
// alias; topics beyond the maximum go in full; every message arrives on its own topic.
#include <chrono>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/bridge_harness.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

// A cloud Mosquitto behind a proxy that counts bytes, a subscriber there, and a bridge with the
// native client.
struct AliasTest : ::testing::Test {
  void SetUp() override {
    ASSERT_TRUE(sub.connect());
    ASSERT_TRUE(sub.subscribe("cloud/#", 1));
    auto options = bridge_options(proxy.uri(), dir.path().string());
    options.client = bridge::ClientKind::Native;
    ASSERT_TRUE(local.start_bridge_with_own_client(options));
    ASSERT_TRUE(wait_until([&] { return local.stats().connected; }, 20s));
  }
  MosquittoProcess cloud;
  TcpProxy proxy{cloud.port()};
  CloudClient sub{cloud.uri(), "sub"};
  TempDir dir;
  LocalSide local;
};
using UplinkTopicAlias = AliasTest;

TEST_F(UplinkTopicAlias, ALongTopicCrossesTheLinkOnceThenAsItsAlias) {
  const std::string topic = "dev/" + std::string(300, 'x');
  local.publish(topic, "first");
  ASSERT_TRUE(sub.wait_count(1, 15s));
  const auto before = proxy.upstream_bytes();
  constexpr int kN = 50;
  for (int i = 0; i < kN; ++i) local.publish(topic, "p");
  ASSERT_TRUE(sub.wait_count(1 + kN, 15s)) << "received " << sub.count();
  const auto sent = proxy.upstream_bytes() - before;
  // In full, each PUBLISH carries the 310-byte mapped topic; with its alias about 10 bytes.
  EXPECT_LT(sent, static_cast<std::uint64_t>(kN) * 40) << sent << " bytes for " << kN << " PUBLISHes";
  for (const auto& r : sub.received()) EXPECT_EQ(r.topic, "cloud/" + topic);
}

TEST_F(UplinkTopicAlias, TopicsBeyondTheServersMaximumGoInFull) {
  // 16 topics, each twice (the status message takes one of the 10 aliases): a wrong alias would
  // deliver on the wrong topic, one beyond the maximum would make Mosquitto disconnect (0x94).
  constexpr int kTopics = 16;
  for (int round = 0; round < 2; ++round) {
    for (int t = 0; t < kTopics; ++t) {
      local.publish("dev/t" + std::to_string(t), std::to_string(round) + "/" + std::to_string(t));
    }
  }
  ASSERT_TRUE(sub.wait_count(2 * kTopics, 15s)) << "received " << sub.count();
  std::set<std::string> seen;
  for (const auto& r : sub.received()) {
    const auto t = r.payload.substr(r.payload.find('/') + 1);
    EXPECT_EQ(r.topic, "cloud/dev/t" + t) << r.payload;
    seen.insert(r.payload);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(2 * kTopics));
  EXPECT_EQ(local.stats().reconnects, 0u);
}

}  // namespace
}  // namespace gw::test

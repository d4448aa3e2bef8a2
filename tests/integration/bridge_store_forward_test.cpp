// Store-and-forward against a real cloud broker (mosquitto): the uplink goes down (a TCP proxy cut,
// or the cloud broker killed), the gateway keeps publishing, and everything reaches the cloud
// subscriber in order once the uplink is back, across a bridge restart and a process crash too.
#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/bridge_harness.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

std::vector<std::string> payloads(const std::vector<CloudClient::Received>& got) {
  std::vector<std::string> out;
  out.reserve(got.size());
  for (const auto& r : got) out.push_back(r.payload);
  return out;
}

std::vector<std::string> numbered(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(std::to_string(i));
  return out;
}

void publish_numbered(LocalSide& local, int from, int to) {
  for (int i = from; i < to; ++i) local.publish("dev/sensor", std::to_string(i));
}

// Waits until the bridge has stored (and committed) `rows` messages.
bool wait_stored(LocalSide& local, std::uint64_t rows) {
  return wait_until([&] {
    auto s = local.stats();
    return s.outbox.rows == rows && s.outbox.pending_writes == 0;
  }, 10s);
}

TEST(BridgeStoreForward, DeliversBacklogInOrderWhenUplinkComesBack) {
  MosquittoProcess cloud;
  TcpProxy proxy(cloud.port());
  proxy.cut();
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));

  TempDir dir;
  LocalSide local;
  ASSERT_TRUE(local.start_bridge(bridge_options(proxy.uri(), dir.path().string())));
  constexpr int kN = 500;
  publish_numbered(local, 0, kN);
  ASSERT_TRUE(wait_stored(local, kN));
  EXPECT_EQ(local.stats().connects, 0u);
  EXPECT_EQ(sub.count(), 0u);

  proxy.restore();
  ASSERT_TRUE(sub.wait_count(kN));
  EXPECT_EQ(payloads(sub.received()), numbered(0, kN));
  EXPECT_EQ(sub.received().front().topic, "cloud/dev/sensor");
  EXPECT_TRUE(wait_until([&] { return local.stats().acked == kN && local.stats().outbox.rows == 0; }));
  const auto s = local.stats();
  EXPECT_TRUE(s.connected);
  EXPECT_GE(s.connect_failures, 1u);
}

TEST(BridgeStoreForward, KeepsCommittedMessagesWhenStoppedWhileDown) {
  MosquittoProcess cloud;
  TcpProxy proxy(cloud.port());
  proxy.cut();
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  TempDir dir;
  constexpr int kN = 300;
  {
    LocalSide local;
    ASSERT_TRUE(local.start_bridge(bridge_options(proxy.uri(), dir.path().string())));
    publish_numbered(local, 0, kN);
    ASSERT_TRUE(wait_until([&] { return local.stats().received == kN; }));
    local.stop_bridge();  // flushes what is queued, bounded although the uplink is down
    EXPECT_EQ(local.stats().outbox.rows, static_cast<std::uint64_t>(kN));
  }
  proxy.restore();
  LocalSide local;
  ASSERT_TRUE(local.start_bridge(bridge_options(proxy.uri(), dir.path().string())));
  ASSERT_TRUE(sub.wait_count(kN));
  EXPECT_EQ(payloads(sub.received()), numbered(0, kN));
}

// Runs only as the child of KeepsCommittedMessagesWhenProcessIsKilled: starts a broker and a
// bridge whose uplink is down, publishes, reports when everything is committed, and waits to be
// SIGKILLed (a crash: no flush, no destructor).
TEST(BridgeCrashChild, PublishesThenWaitsToBeKilled) {
  const char* dir = std::getenv("GW_BRIDGE_CHILD_DIR");
  const char* uri = std::getenv("GW_BRIDGE_CHILD_URI");
  const char* count = std::getenv("GW_BRIDGE_CHILD_COUNT");
  if (dir == nullptr || uri == nullptr || count == nullptr) GTEST_SKIP() << "child of a crash test only";
  const int n = std::atoi(count);
  LocalSide local;
  ASSERT_TRUE(local.start_bridge(bridge_options(uri, dir)));
  publish_numbered(local, 0, n);
  ASSERT_TRUE(wait_stored(local, static_cast<std::uint64_t>(n)));
  std::printf("\nCOMMITTED %d\n", n);
  std::fflush(stdout);
  wait_until([] { return false; }, 30s);  // the parent kills us long before
}

TEST(BridgeStoreForward, KeepsCommittedMessagesWhenProcessIsKilled) {
  MosquittoProcess cloud;
  TcpProxy proxy(cloud.port());
  proxy.cut();
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));
  TempDir dir;
  constexpr int kN = 200;

  char self[PATH_MAX] = {};
  ASSERT_GT(readlink("/proc/self/exe", self, sizeof self - 1), 0);
  Process child({self, "--gtest_filter=BridgeCrashChild.PublishesThenWaitsToBeKilled"},
                {"GW_BRIDGE_CHILD_DIR=" + dir.path().string(), "GW_BRIDGE_CHILD_URI=" + proxy.uri(),
                 "GW_BRIDGE_CHILD_COUNT=" + std::to_string(kN)});
  ASSERT_TRUE(wait_until([&] { return child.output().find("COMMITTED") != std::string::npos || !child.running(); }, 15s))
      << child.output();
  ASSERT_TRUE(child.running()) << child.output();
  child.signal(SIGKILL);
  EXPECT_EQ(child.wait(5s), 128 + SIGKILL);

  proxy.restore();
  LocalSide local;
  ASSERT_TRUE(local.start_bridge(bridge_options(proxy.uri(), dir.path().string())));
  ASSERT_TRUE(sub.wait_count(kN));
  EXPECT_EQ(payloads(sub.received()), numbered(0, kN));
}

TEST(BridgeStoreForward, LosesNothingWhenCloudIsKilledMidDrain) {
  MosquittoProcess cloud;
  TcpProxy proxy(cloud.port());
  proxy.cut();
  // QoS 0 subscriptions: the subscriber never sends to the cloud broker, so killing the broker
  // closes its connection with FIN (not RST) and it reads everything the broker wrote.
  auto sub = std::make_unique<CloudClient>(cloud.uri(), "sub");
  ASSERT_TRUE(sub->connect());
  ASSERT_TRUE(sub->subscribe("cloud/#", 0));

  TempDir dir;
  LocalSide local;
  auto options = bridge_options(proxy.uri(), dir.path().string());
  ASSERT_TRUE(local.start_bridge(options));
  constexpr int kN = 3000;
  publish_numbered(local, 0, kN);
  ASSERT_TRUE(wait_stored(local, kN));

  proxy.restore();
  ASSERT_TRUE(sub->wait_count(kN / 5));
  cloud.kill();  // mid-drain: messages in flight, PUBACKs unread
  proxy.cut();   // the bridge stays away until the new subscriber is in place
  const auto first = sub->received();
  sub.reset();
  cloud.start();
  auto sub2 = std::make_unique<CloudClient>(cloud.uri(), "sub2");
  ASSERT_TRUE(sub2->connect());
  ASSERT_TRUE(sub2->subscribe("cloud/#", 0));
  proxy.restore();

  ASSERT_TRUE(wait_until([&] { return local.stats().outbox.rows == 0; }, 20s));
  ASSERT_TRUE(wait_until([&] {
    std::set<std::string> seen;
    for (const auto& r : first) seen.insert(r.payload);
    for (const auto& r : sub2->received()) seen.insert(r.payload);
    return seen.size() == static_cast<std::size_t>(kN);
  }, 5s));

  std::set<std::string> distinct;
  std::size_t total = first.size();
  for (const auto& r : first) distinct.insert(r.payload);
  const auto second = sub2->received();
  total += second.size();
  for (const auto& r : second) distinct.insert(r.payload);
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kN));  // nothing lost
  const std::size_t duplicates = total - distinct.size();
  const auto s = local.stats();
  // Only what was in flight when the connection broke is sent twice.
  EXPECT_LE(duplicates, s.inflight_high_water);
  EXPECT_GE(s.reconnects, 1u);
  RecordProperty("duplicates", static_cast<int>(duplicates));
  std::printf("cloud killed mid-drain: %zu duplicates (send window high-water %llu)\n", duplicates,
              static_cast<unsigned long long>(s.inflight_high_water));
  // The resent tail is in order too: after the restart, every message follows its predecessor.
  std::vector<int> order;
  for (const auto& r : second) order.push_back(std::stoi(r.payload));
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

}  // namespace
}  // namespace gw::test

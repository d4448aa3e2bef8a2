// A send the client library refuses is counted, not lost: Paho (1.3.12) is given a buffer of
// unwritten PUBLISHes smaller than the bridge's window, the situation that once paused the drain
// every burst unnoticed, and refuses MQTTAsync_sendMessage for real against a real Mosquitto.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/bridge_harness.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

TEST(BridgeSendRefusal, CountsBufferFullRefusalsAndDeliversEveryMessageInOrder) {
  MosquittoProcess cloud;  // Receive Maximum 20 (max_inflight_messages' default)
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));

  TempDir dir;
  LocalSide local;
  auto options = bridge_options(cloud.uri(), dir.path().string());
  options.max_inflight = 64;
  // Paho writes two at a time and holds at most four unwritten: the bridge's window of 20 (the
  // cloud's Receive Maximum) overflows Paho's buffer on every burst.
  options.paho_limits = {.max_inflight = 2, .max_buffered = 4};
  ASSERT_TRUE(local.start_bridge(options));
  ASSERT_TRUE(wait_until([&] { return local.stats().connected; }, 20s));

  constexpr int kN = 100;  // about 5 s: each refusal pauses the sending 10 ms
  for (int i = 0; i < kN; ++i) local.publish("dev/sensor", std::to_string(i));

  ASSERT_TRUE(sub.wait_count(kN, 30s)) << "received " << sub.count() << ", refused "
                                       << local.stats().send_refused.total();
  ASSERT_TRUE(wait_until([&] { return local.stats().outbox.rows == 0; }, 10s));
  const auto s = local.stats();
  EXPECT_GT(s.send_refused[bridge::SendRefusal::BufferFull], 0u);
  EXPECT_EQ(s.send_refused[bridge::SendRefusal::Disconnected], 0u);
  EXPECT_EQ(s.send_refused[bridge::SendRefusal::Other], 0u);
  EXPECT_EQ(s.acked, static_cast<std::uint64_t>(kN));
  EXPECT_EQ(s.reconnects, 0u);

  // Every message once, in outbox order: a refused row went back to its place.
  std::vector<std::string> got;
  for (const auto& r : sub.received()) {
    if (r.topic == "cloud/dev/sensor") got.push_back(r.payload);
  }
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kN));
  for (int i = 0; i < kN; ++i) ASSERT_EQ(got[static_cast<std::size_t>(i)], std::to_string(i)) << "at " << i;
}

TEST(BridgeSendRefusal, DerivedPahoLimitsRefuseNothing) {
  // The same traffic without the test limits: the Uplink sizes Paho's buffer to the window.
  MosquittoProcess cloud;
  CloudClient sub(cloud.uri(), "sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("cloud/#", 1));

  TempDir dir;
  LocalSide local;
  auto options = bridge_options(cloud.uri(), dir.path().string());
  options.max_inflight = 64;
  ASSERT_TRUE(local.start_bridge(options));
  ASSERT_TRUE(wait_until([&] { return local.stats().connected; }, 20s));

  constexpr int kN = 300;
  for (int i = 0; i < kN; ++i) local.publish("dev/sensor", std::to_string(i));
  ASSERT_TRUE(sub.wait_count(kN, 30s)) << "received " << sub.count();
  ASSERT_TRUE(wait_until([&] { return local.stats().acked == kN; }, 10s));
  EXPECT_EQ(local.stats().send_refused.total(), 0u);
}

}  // namespace
}  // namespace gw::test

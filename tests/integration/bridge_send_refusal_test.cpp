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

// A cloud Mosquitto (Receive Maximum 20, max_inflight_messages' default) with a subscriber on
// cloud/#, and a local side whose bridge (window 64) is connected to it.
class BridgeSendRefusal : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sub_.connect());
    ASSERT_TRUE(sub_.subscribe("cloud/#", 1));
    options_.max_inflight = 64;
  }

  void start() {
    ASSERT_TRUE(local_.start_bridge(options_));
    ASSERT_TRUE(wait_until([&] { return local_.stats().connected; }, 20s));
  }

  MosquittoProcess cloud_;
  CloudClient sub_{cloud_.uri(), "sub"};
  TempDir dir_;
  LocalSide local_;
  bridge::BridgeOptions options_ = bridge_options(cloud_.uri(), dir_.path().string());
};

TEST_F(BridgeSendRefusal, CountsBufferFullRefusalsAndDeliversEveryMessageInOrder) {
  CloudClient& sub = sub_;
  LocalSide& local = local_;
  // Paho writes two at a time and holds at most four unwritten: the bridge's window of 20 (the
  // cloud's Receive Maximum) overflows Paho's buffer on every burst.
  options_.paho_limits = {.max_inflight = 2, .max_buffered = 4};
  ASSERT_NO_FATAL_FAILURE(start());

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

TEST_F(BridgeSendRefusal, DerivedPahoLimitsRefuseNothing) {
  // The same traffic without the test limits: the Uplink sizes Paho's buffer to the window.
  CloudClient& sub = sub_;
  LocalSide& local = local_;
  ASSERT_NO_FATAL_FAILURE(start());

  constexpr int kN = 300;
  for (int i = 0; i < kN; ++i) local.publish("dev/sensor", std::to_string(i));
  ASSERT_TRUE(sub.wait_count(kN, 30s)) << "received " << sub.count();
  ASSERT_TRUE(wait_until([&] { return local.stats().acked == kN; }, 10s));
  EXPECT_EQ(local.stats().send_refused.total(), 0u);
}

}  // namespace
}  // namespace gw::test

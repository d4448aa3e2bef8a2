// Back-pressure from the bridge's hand-off queue, end to end: the real edge-gateway binary with a
// small bridge.queue_capacity, a raw-socket QoS 1 publisher that pipelines as fast as the broker
// reads it (tests/integration/python/flow_peer.py), an uplink outage (a TCP relay to a real
// Mosquitto, cut), and a Paho cloud subscriber. Every message the broker acknowledged must reach
// the outbox, so none is refused at the hand-off, and all arrive in order once the uplink is back.
#include <chrono>
#include <cstdint>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/bridge_harness.hpp"
#include "tests/integration/bridge_client_under_test.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/process.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kPython = "/usr/bin/python3";

// The value of the sample line `series` (name and labels) in a Prometheus text body, or -1.
double sample(const std::string& body, const std::string& series) {
  const std::string key = "\n" + series + " ";
  const auto at = ("\n" + body).find(key);
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + key.size() - 1));
}

// flow_peer.py's payload starts with its sequence number (8 bytes, big endian).
std::uint64_t sequence(const std::string& payload) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < 8 && i < payload.size(); ++i) {
    n = (n << 8) | static_cast<unsigned char>(payload[i]);
  }
  return n;
}

TEST(BridgeBackpressure, FastQos1PublisherDuringAnOutageLosesNothingAtTheHandOff) {
  MosquittoProcess cloud;
  TcpProxy uplink(cloud.port());
  uplink.cut();  // the outage: the bridge cannot connect
  CloudClient sub(cloud.uri(), "cloud-sub");
  ASSERT_TRUE(sub.connect());
  ASSERT_TRUE(sub.subscribe("site/#", 1));

  // A hand-off queue of 200: without back-pressure a pipelining publisher overflows it at once.
  // The wait is raised from 1 s so that a loaded test machine's slow disk is not "stuck".
  GatewayProcess gw("  max_backpressure_wait: 5s\n",
                    "bridge:\n" + bridge_client_yaml() + "  servers: [" + uplink.uri() + "]\n  client_id: bp\n"
                    "  queue_capacity: 200\n  reconnect: {initial: 100ms, max: 300ms}\n"
                    "  upstream:\n    - {name: up, local: 'flow/#', remote: 'site/{topic}', qos: 1}\n"
                    "metrics:\n  enabled: true\n  listen: 127.0.0.1:0\n");
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  std::uint16_t metrics_port = 0;
  ASSERT_TRUE(wait_until([&] {
    metrics_port = port_after(gw.process().output(), "metrics: serving http://127.0.0.1:");
    return metrics_port != 0 || !gw.process().running();
  }));
  ASSERT_NE(metrics_port, 0) << gw.process().output();
  const auto scrape = [&] {
    const auto r = run({"curl", "--silent", "--show-error", "--max-time", "5",
                        "http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics"},
                       10s);
    return r.code == 0 ? r.output : std::string();
  };

  constexpr int kCount = 20000;
  const auto pub = run({kPython, "-B", source_dir() + "/tests/integration/python/flow_peer.py", "pub",
                        gw.port_str(), "flow/t", std::to_string(kCount), "64"},
                       90s);
  ASSERT_EQ(pub.code, 0) << pub.output;
  EXPECT_THAT(pub.output, HasSubstr("ACKED 20000 REFUSED 0"));

  // Everything acknowledged is in the outbox; nothing was refused at the hand-off.
  std::string m;
  ASSERT_TRUE(wait_until([&] {
    m = scrape();
    return sample(m, "edge_gateway_bridge_backlog_messages") >= kCount;
  }, 60s)) << m;
  EXPECT_EQ(sample(m, "edge_gateway_bridge_messages_dropped_total{reason=\"queue_full\"}"), 0) << m;
  EXPECT_GT(sample(m, "edge_gateway_mqtt_backpressure_pauses_total"), 0) << m;
  EXPECT_EQ(sample(m, "edge_gateway_mqtt_backpressure_stuck_total"), 0) << m;

  uplink.restore();
  ASSERT_TRUE(sub.wait_count(kCount, 120s)) << sub.count() << " of " << kCount;
  const auto got = sub.received();
  std::uint64_t expected = 0;
  for (const auto& r : got) {
    if (r.topic != "site/flow/t") continue;
    ASSERT_EQ(sequence(r.payload), expected) << "lost or reordered";
    ++expected;
  }
  EXPECT_EQ(expected, static_cast<std::uint64_t>(kCount));
}

}  // namespace
}  // namespace gw::test

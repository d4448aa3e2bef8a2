// Back-pressure, end to end: the real edge-gateway binary, a raw-socket QoS 1 publisher that
// pipelines as fast as the broker reads it, and subscribers whose reading pace is their own
// (tests/integration/python/flow_peer.py); the broker's counters come from its metrics endpoint.
//
// The queues are small (256 KiB, 100 messages) so that without back-pressure the slow
// subscriber would lose messages within the first second.
#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/conformance.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/process.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kMetricsYaml = "metrics:\n  enabled: true\n  listen: 127.0.0.1:0\n";

std::string peer_script() { return source_dir() + "/tests/integration/python/flow_peer.py"; }

// The value of the sample line `series` (name and labels) in a Prometheus text body, or -1.
double sample(const std::string& body, const std::string& series) {
  const std::string key = "\n" + series + " ";
  const auto at = ("\n" + body).find(key);
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + key.size() - 1));
}

class BrokerBackpressure : public ::testing::Test {
 protected:
  void start(const std::string& broker_yaml) {
    gw_ = std::make_unique<GatewayProcess>(broker_yaml, kMetricsYaml);
    ASSERT_TRUE(gw_->ready()) << gw_->process().output();
    ASSERT_TRUE(wait_until([&] {
      metrics_port_ = port_after(gw_->process().output(), "metrics: serving http://127.0.0.1:");
      return metrics_port_ != 0 || !gw_->process().running();
    }));
    ASSERT_NE(metrics_port_, 0) << gw_->process().output();
  }

  std::string scrape() const {
    const auto r = run({"curl", "--silent", "--show-error", "--max-time", "5",
                        "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics"},
                       10s);
    return r.code == 0 ? r.output : std::string();
  }

  // A flow_peer.py subscriber running in the background, READY (subscribed) when this returns.
  std::unique_ptr<Process> subscriber(int count, int chunk, int pause_ms) {
    auto p = std::make_unique<Process>(std::vector<std::string>{
        kPython, "-B", peer_script(), "sub", gw_->port_str(), "flow/t", std::to_string(count),
        std::to_string(chunk), std::to_string(pause_ms)});
    EXPECT_TRUE(wait_until([&] {
      return p->output().find("READY") != std::string::npos || !p->running();
    })) << p->output();
    EXPECT_THAT(p->output(), HasSubstr("READY"));
    return p;
  }

  RunResult publish(int count, int size) {
    return run({kPython, "-B", peer_script(), "pub", gw_->port_str(), "flow/t",
                std::to_string(count), std::to_string(size)},
               90s);
  }

  std::unique_ptr<GatewayProcess> gw_;
  std::uint16_t metrics_port_ = 0;
};

TEST_F(BrokerBackpressure, FastQos1PublisherIntoSlowSteadyReaderLosesNothing) {
  // The wait is raised from 1 s: on a loaded test machine the reader itself may be descheduled
  // for a second, which is not what this test is about (the stuck case is the next one).
  start("  max_queued_bytes: 256KiB\n  max_queued_messages: 100\n  max_backpressure_wait: 5s\n");
  constexpr int kCount = 3000;
  // 4 KiB per read, 1 ms between reads (at most about 4 MB/s): slower than the publisher.
  auto sub = subscriber(kCount, 4096, 1);

  const auto pub = publish(kCount, 1000);
  EXPECT_EQ(pub.code, 0) << pub.output;
  EXPECT_THAT(pub.output, HasSubstr("ACKED 3000 REFUSED 0"));
  const auto sub_exit = sub->wait(60s);
  EXPECT_EQ(sub_exit, 0) << sub->output();
  EXPECT_THAT(sub->output(), HasSubstr("RECEIVED 3000"));  // every one, in order

  const std::string m = scrape();
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(sample(m, "edge_gateway_mqtt_messages_dropped_total{reason=\"queue_full\"}"), 0) << m;
  // The publisher really was held back (without it, the queue of 100 would have overflowed).
  EXPECT_GT(sample(m, "edge_gateway_mqtt_backpressure_pauses_total"), 0) << m;
  EXPECT_EQ(sample(m, "edge_gateway_mqtt_messages_sent_total"), kCount) << m;
}

TEST_F(BrokerBackpressure, StuckSubscriberDelaysALiveOneOnceAndOnlyItsOwnMessagesAreDropped) {
  start("  max_queued_bytes: 256KiB\n  max_queued_messages: 100\n");  // default wait: 1 s
  using namespace conformance;
  RawClient stuck(gw_->port());
  ASSERT_TRUE(handshake(stuck, connect_v5("stuck")));
  stuck.send(subscribe_packet(1, "flow/t", QoS::AtMostOnce));
  ASSERT_TRUE(stuck.read_packet().has_value());  // SUBACK; from now on it never reads
  constexpr int kCount = 40000;  // 40 MB: far more than the stuck socket's kernel buffers hold
  auto live = subscriber(kCount, 65536, 0);
  [[maybe_unused]] const long rss_before = proc_status_kb(gw_->process().pid(), "VmRSS");

  const auto started = std::chrono::steady_clock::now();
  const auto pub = publish(kCount, 1000);
  EXPECT_EQ(pub.code, 0) << pub.output;
  EXPECT_THAT(pub.output, HasSubstr("ACKED 40000 REFUSED 0"));
  const auto live_exit = live->wait(60s);
  EXPECT_EQ(live_exit, 0) << live->output();
  EXPECT_THAT(live->output(), HasSubstr("RECEIVED 40000"));  // all, in order
  EXPECT_LT(std::chrono::steady_clock::now() - started, 60s);

  const std::string m = scrape();
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(sample(m, "edge_gateway_mqtt_backpressure_stuck_total"), 1) << m;  // once
  EXPECT_GT(sample(m, "edge_gateway_mqtt_messages_dropped_total{reason=\"queue_full\"}"), 0) << m;
  // Bounded memory: 40 MB went through, the broker's peak grew by far less. Not under
  // AddressSanitizer, whose quarantine keeps freed memory resident on purpose.
#if !defined(__SANITIZE_ADDRESS__)
  const long hwm = proc_status_kb(gw_->process().pid(), "VmHWM");
  EXPECT_LT(hwm - rss_before, 16 * 1024) << "VmRSS before " << rss_before << " kB, VmHWM " << hwm;
#endif
}

}  // namespace
}  // namespace gw::test

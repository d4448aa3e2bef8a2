// The gateway's whole job with real processes only: `edge-gateway simulate` as the field device,
// `edge-gateway run` polling it and bridging to a real Mosquitto as the cloud broker, a real
// cloud subscriber (mosquitto_sub), the outbox file inspected with the sqlite3 shell, and
// `kill -9` for the crash.
#include <chrono>
#include <csignal>
#include <cctype>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/mosquitto_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

std::uint16_t port_after(const std::string& out, std::string_view prefix) {
  const std::size_t at = out.find(prefix);
  if (at == std::string::npos) return 0;
  std::size_t i = at + prefix.size();
  unsigned p = 0;
  while (i < out.size() && std::isdigit(static_cast<unsigned char>(out[i])) != 0) {
    p = p * 10 + static_cast<unsigned>(out[i++] - '0');
  }
  return i < out.size() ? static_cast<std::uint16_t>(p) : 0;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

class GatewayBridge : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<Process>(
        std::vector<std::string>{gateway_binary(), "simulate", "--port", "0"});
    ASSERT_TRUE(wait_until([&] {
      sim_port_ = port_after(sim_->output(), "simulator listening on 127.0.0.1:");
      return sim_port_ != 0 || !sim_->running();
    }));
    ASSERT_NE(sim_port_, 0) << sim_->output();
    // The speed register changes every second and the energy counter too; with heartbeat 100 ms
    // every poll of these two points is published, so the outbox grows steadily while down.
    config_ = dir_.write(
        "gw.yaml",
        "gateway: {id: gw, data_dir: " + dir_.path().string() + "}\n"
        "broker:\n  listeners: [{bind: 127.0.0.1:0}]\n"
        "links:\n  - name: sim\n    type: modbus-tcp\n    host: 127.0.0.1\n    port: " +
            std::to_string(sim_port_) +
            "\n    devices:\n      - name: sim\n        poll_interval: 50ms\n        heartbeat: 100ms\n"
            "        points:\n"
            "          - {name: speed, table: holding, address: 4, type: uint16}\n"
            "          - {name: energy, table: holding, address: 6, type: uint32}\n"
            "bridge:\n  servers: [" + cloud_.uri() + "]\n  connect_timeout: 5s\n"
            "  reconnect: {initial: 100ms, max: 500ms}\n"
            "  upstream:\n    - {name: telemetry, local: 'gw/sim/+', remote: 'site/{topic}', qos: 1}\n"
            "  outbox: {commit_window: 20ms}\n");
  }

  std::unique_ptr<Process> start_gateway() {
    return std::make_unique<Process>(
        std::vector<std::string>{gateway_binary(), "run", "--config", config_});
  }

  // Rows in the outbox file (committed ones: what survives a crash).
  long outbox_rows() {
    auto r = run({"sqlite3", dir_.path().string() + "/outbox.db", "SELECT count(*) FROM outbox;"});
    return r.code == 0 ? std::atol(r.output.c_str()) : -1;
  }

  std::unique_ptr<Process> cloud_subscriber(const std::string& topic, int messages) {
    auto sub = std::make_unique<Process>(std::vector<std::string>{
        "mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(cloud_.port()), "-t", topic,
        "-q", "1", "-v", "-C", std::to_string(messages), "-W", "30"});
    return sub;
  }

  TempDir dir_;
  MosquittoProcess cloud_;
  std::unique_ptr<Process> sim_;
  std::uint16_t sim_port_ = 0;
  std::string config_;
};

TEST_F(GatewayBridge, ReadingsReachTheCloudUnderTheMappedTopicWithRetainedStatus) {
  auto sub = cloud_subscriber("site/gw/sim/+", 4);
  auto gw = start_gateway();
  EXPECT_EQ(sub->wait(30s), 0) << sub->output() << "\n--- gateway:\n" << gw->output();
  EXPECT_THAT(sub->output(), HasSubstr("site/gw/sim/speed {\"value\":"));
  EXPECT_THAT(sub->output(), HasSubstr("\"quality\":\"good\""));
  // Birth message: retained on the cloud, <gateway id>/status by default.
  auto status = run({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(cloud_.port()), "-t",
                     "gw/status", "-C", "1", "-W", "5"});
  EXPECT_THAT(status.output, HasSubstr("online")) << gw->output();
}

TEST_F(GatewayBridge, NothingCommittedIsLostWhenTheGatewayIsKilledWhileTheCloudIsDown) {
  cloud_.stop();
  auto gw = start_gateway();
  // Readings pile up in the outbox while the uplink is down.
  ASSERT_TRUE(wait_until([&] { return outbox_rows() >= 20; }, 20s)) << gw->output();
  gw->signal(SIGKILL);
  gw->wait();
  sim_->signal(SIGTERM);  // no new readings from here on: the backlog is all there is
  sim_->wait();
  const long committed = outbox_rows();
  ASSERT_GE(committed, 20);

  cloud_.start();
  // A live subscriber on the cloud, known to be subscribed (it has seen a marker) before the
  // gateway comes back.
  auto sub = cloud_subscriber("site/#", 1000000);
  ASSERT_TRUE(wait_until([&] {
    run({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(cloud_.port()), "-t",
         "site/marker", "-m", "m"});
    return sub->output().find("site/marker") != std::string::npos;
  })) << sub->output();
  gw = start_gateway();
  EXPECT_TRUE(wait_until([&] {
    return count(sub->output(), "site/gw/sim/") >= static_cast<std::size_t>(committed);
  }, 30s)) << "got " << count(sub->output(), "site/gw/sim/") << " of " << committed << "\n"
           << gw->output();
  EXPECT_TRUE(wait_until([&] { return outbox_rows() == 0; }, 20s)) << gw->output();
}

}  // namespace
}  // namespace gw::test

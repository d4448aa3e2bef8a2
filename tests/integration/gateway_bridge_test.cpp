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

#include "tests/integration/bridge_client_under_test.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

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
    sim_port_ = simulator_port(*sim_);
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
            "bridge:\n" + bridge_client_yaml() + "  servers: [" + cloud_.uri() + "]\n  connect_timeout: 5s\n"
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
  // The operator's view of the same backlog.
  auto stats = run({gateway_binary(), "outbox", "stats", "--config", config_});
  EXPECT_EQ(stats.code, 0) << stats.output;
  EXPECT_THAT(stats.output, HasSubstr("backlog: " + std::to_string(committed) + " message(s)"));
  EXPECT_THAT(stats.output, HasSubstr("dead letters: 0"));

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

// A message larger than the cloud's Maximum Packet Size becomes a dead letter with its reason,
// listed by `outbox dead-letters` and put back by `outbox replay`; the rest keep flowing.
TEST(GatewayBridgeDeadLetters, OversizeMessageIsListedAndCanBeReplayed) {
  TempDir dir;
  MosquittoProcess cloud({.max_packet_size = 1024});
  const std::string config = dir.write(
      "gw.yaml", "gateway: {id: gw, data_dir: " + dir.path().string() + "}\n"
                 "broker:\n  listeners: [{bind: 127.0.0.1:0}]\n"
                 "bridge:\n" + bridge_client_yaml() + "  servers: [" + cloud.uri() + "]\n  connect_timeout: 5s\n"
                 "  upstream:\n    - {name: up, local: 'data/#', qos: 1}\n");
  auto gw = std::make_unique<Process>(
      std::vector<std::string>{gateway_binary(), "run", "--config", config});
  std::uint16_t port = 0;
  ASSERT_TRUE(wait_until([&] {
    port = port_after(gw->output(), "listening on 127.0.0.1:");
    return port != 0 || !gw->running();
  }));
  // Wait until the bridge is connected (its birth message is on the cloud).
  ASSERT_TRUE(wait_until([&] {
    auto r = run({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(cloud.port()), "-t",
                  "gw/status", "-C", "1", "-W", "1"});
    return r.output.find("online") != std::string::npos;
  }, 20s)) << gw->output();
  auto sub = std::make_unique<Process>(std::vector<std::string>{
      "mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(cloud.port()), "-t", "data/#",
      "-q", "1", "-v", "-W", "30"});
  ASSERT_TRUE(wait_until([&] {
    run({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port), "-t", "data/probe",
         "-q", "1", "-m", "p"});
    return sub->output().find("data/probe") != std::string::npos;
  }, 20s)) << gw->output();
  const std::string big(2000, 'x');
  run({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port), "-t", "data/big", "-q",
       "1", "-m", big});
  run({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port), "-t", "data/after", "-q",
       "1", "-m", "small"});
  ASSERT_TRUE(wait_until([&] { return sub->output().find("data/after small") != std::string::npos; }))
      << gw->output();
  EXPECT_EQ(sub->output().find("data/big"), std::string::npos);
  gw->signal(SIGTERM);
  ASSERT_EQ(gw->wait(10s), 0) << gw->output();

  auto list = run({gateway_binary(), "outbox", "dead-letters", "--config", config});
  ASSERT_EQ(list.code, 0) << list.output;
  EXPECT_THAT(list.output, HasSubstr("data/big"));
  EXPECT_THAT(list.output, HasSubstr("exceeds the server's Maximum Packet Size 1024"));
  // The id is the first column of the only row.
  const std::size_t row = list.output.find('\n') + 1;
  const std::uint64_t id = std::stoull(list.output.substr(row));
  auto replay = run({gateway_binary(), "outbox", "replay", std::to_string(id), "--config", config});
  EXPECT_EQ(replay.code, 0) << replay.output;
  EXPECT_THAT(replay.output, HasSubstr("is back in the outbox"));
  auto stats = run({gateway_binary(), "outbox", "stats", "--config", config});
  EXPECT_THAT(stats.output, HasSubstr("backlog: 1 message(s)"));
  EXPECT_THAT(stats.output, HasSubstr("dead letters: 0"));
  auto missing = run({gateway_binary(), "outbox", "replay", "999999", "--config", config});
  EXPECT_EQ(missing.code, 1);
}

TEST(GatewayBridgeDeadLetters, OutboxCommandsRefuseAConfigWithoutBridge) {
  TempDir dir;
  const std::string config = dir.write("gw.yaml", "gateway: {id: gw}\n");
  auto r = run({gateway_binary(), "outbox", "stats", "--config", config});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("no bridge section"));
}

}  // namespace
}  // namespace gw::test

namespace gw::test {
namespace {

// SIGHUP with a changed upstream route: the bridge restarts with it, and what the cloud receives
// from then on is mapped by the new route.
TEST(GatewayBridgeReload, AChangedRouteAppliesAfterSighup) {
  MosquittoProcess cloud;
  TempDir dir;
  const auto config = [&](const std::string& prefix) {
    return dir.write("gw.yaml", "gateway: {id: gw, data_dir: " + dir.path().string() +
                                    ", status_topic: \"\"}\n"
                                    "broker:\n  listeners: [{bind: 127.0.0.1:0}]\n"
                                    "bridge:\n" + bridge_client_yaml() + "  servers: [" + cloud.uri() + "]\n"
                                    "  reconnect: {initial: 100ms, max: 500ms}\n"
                                    "  upstream:\n    - {name: t, local: 'in/#', remote: '" +
                                    prefix + "/{topic}', qos: 1}\n");
  };
  const std::string file = config("site-a");
  Process gw({gateway_binary(), "run", "--config", file});
  std::uint16_t port = 0;
  ASSERT_TRUE(wait_until([&] {
    port = port_after(gw.output(), "listening on 127.0.0.1:");
    return port != 0 || !gw.running();
  }));
  ASSERT_NE(port, 0) << gw.output();
  Process sub({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(cloud.port()), "-t", "#",
               "-v", "-W", "30"});
  const auto publish_until_seen = [&](const std::string& payload, const std::string& seen) {
    return wait_until([&] {
      run({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port), "-t", "in/x", "-m",
           payload, "-q", "1"},
          5s);
      return sub.output().find(seen) != std::string::npos;
    }, 20s);
  };
  ASSERT_TRUE(publish_until_seen("one", "site-a/in/x one")) << sub.output() << gw.output();

  config("site-b");
  gw.signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] {
    return gw.output().find("reload: bridge restarted with the new settings") != std::string::npos;
  })) << gw.output();
  ASSERT_TRUE(publish_until_seen("two", "site-b/in/x two")) << sub.output() << gw.output();
  EXPECT_EQ(sub.output().find("site-a/in/x two"), std::string::npos);
}

}  // namespace
}  // namespace gw::test

// The gateway's main job end to end, with real processes only: `edge-gateway simulate` as the
// Modbus TCP device, `edge-gateway run` polling it into its broker, and real MQTT clients
// (Eclipse Paho Python, mosquitto_sub) reading values and sending commands.
#include <chrono>
#include <csignal>
#include <cctype>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/gateway_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

std::string links_yaml(std::uint16_t port) {
  return "links:\n"
         "  - name: sim\n"
         "    type: modbus-tcp\n"
         "    host: 127.0.0.1\n"
         "    port: " + std::to_string(port) + "\n"
         "    response_timeout: 300ms\n"
         "    reconnect: {initial: 100ms, max: 500ms}\n"
         "    devices:\n"
         "      - name: sim\n"
         "        unit_id: 1\n"
         "        poll_interval: 100ms\n"
         "        points:\n"
         "          - {name: temperature, table: holding, address: 0, type: float32, decimals: 2}\n"
         "          - {name: pressure, table: holding, address: 2, type: float32, byte_order: CDAB}\n"
         "          - {name: speed, table: holding, address: 4, type: uint16}\n"
         "          - {name: setpoint, table: holding, address: 5, type: int16, scale: 0.1,"
         " decimals: 1, writable: true, min: 5, max: 40}\n"
         "          - {name: energy, table: holding, address: 6, type: uint32}\n"
         "          - {name: serial, table: holding, address: 10, type: string, length: 4}\n"
         "          - {name: level, table: input, address: 0, type: uint16}\n"
         "          - {name: pump, table: coil, address: 0, type: bool, writable: true}\n"
         "          - {name: alarm, table: discrete_input, address: 0, type: bool}\n";
}

// The retained message on `topic`, read with mosquitto_sub (empty when there is none).
std::string retained(std::uint16_t port, const std::string& topic) {
  auto r = run({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(port), "-t", topic, "-C",
                "1", "-W", "2"},
               5s);
  return r.code == 0 ? r.output : std::string();
}

class GatewayModbus : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<Process>(
        std::vector<std::string>{gateway_binary(), "simulate", "--port", "0"});
    sim_port_ = simulator_port(*sim_);
    ASSERT_NE(sim_port_, 0) << sim_->output();
    gw_ = std::make_unique<GatewayProcess>("", links_yaml(sim_port_));
    ASSERT_TRUE(gw_->ready()) << gw_->process().output();
  }

  std::unique_ptr<Process> sim_;
  std::uint16_t sim_port_ = 0;
  std::unique_ptr<GatewayProcess> gw_;
};

TEST_F(GatewayModbus, PublishesReadingsAndExecutesCommandsWithReadBack) {
  auto r = run({"/usr/bin/python3", "-B", source_dir() + "/tests/integration/python/modbus_gateway.py",
                gw_->port_str()},
               20s);
  EXPECT_EQ(r.code, 0) << r.output << "\n--- gateway:\n" << gw_->process().output();
  EXPECT_THAT(r.output, HasSubstr("OK"));
}

TEST_F(GatewayModbus, DeadDeviceGoesOfflineWithBadQualityAndComesBack) {
  ASSERT_TRUE(wait_until([&] { return retained(gw_->port(), "test/sim/status").find("online") != std::string::npos; }))
      << gw_->process().output();
  sim_->signal(SIGKILL);
  sim_->wait();
  ASSERT_TRUE(wait_until([&] {
    return retained(gw_->port(), "test/sim/status").find("\"offline\"") != std::string::npos;
  })) << gw_->process().output();
  const std::string temp = retained(gw_->port(), "test/sim/temperature");
  EXPECT_THAT(temp, HasSubstr("\"quality\":\"bad_connection\""));
  EXPECT_THAT(temp, HasSubstr("\"value\":null"));

  // The device comes back on the same port: status online, values good again.
  sim_ = std::make_unique<Process>(std::vector<std::string>{
      gateway_binary(), "simulate", "--port", std::to_string(sim_port_)});
  ASSERT_EQ(simulator_port(*sim_), sim_port_) << sim_->output();
  ASSERT_TRUE(wait_until([&] {
    return retained(gw_->port(), "test/sim/status").find("\"online\"") != std::string::npos;
  })) << gw_->process().output();
  EXPECT_TRUE(wait_until([&] {
    return retained(gw_->port(), "test/sim/temperature").find("\"quality\":\"good\"") !=
           std::string::npos;
  }));
}

TEST_F(GatewayModbus, StopsCleanlyOnSigtermWhilePolling) {
  gw_->process().signal(SIGTERM);
  EXPECT_EQ(gw_->process().wait(5s), 0) << gw_->process().output();
}

}  // namespace
}  // namespace gw::test

namespace gw::test {
namespace {

// gateway.topic, payload: per_device and the gateway's own status, with the simulator.
TEST(GatewayTopicTemplate, PublishesPerDeviceOnTheTemplateAndTakesCommandsThere) {
  Process sim({gateway_binary(), "simulate", "--port", "0"});
  const std::uint16_t sim_port = simulator_port(sim);
  ASSERT_NE(sim_port, 0) << sim.output();
  TempDir dir;
  std::string links = links_yaml(sim_port);
  const std::string file = dir.write(
      "gw.yaml", "gateway:\n  id: p1\n  data_dir: " + dir.path().string() +
                     "\n  topic: \"site/{gateway}/{link}/{device}/{point}\"\n  payload: per_device\n"
                     "broker:\n  listeners:\n    - bind: 127.0.0.1:0\n" + links);
  Process gw({gateway_binary(), "run", "--config", file});
  std::uint16_t port = 0;
  ASSERT_TRUE(wait_until([&] {
    port = port_after(gw.output(), "listening on 127.0.0.1:");
    return port != 0 || !gw.running();
  }));
  ASSERT_NE(port, 0) << gw.output();
  EXPECT_THAT(retained(port, "p1/status"), HasSubstr("\"online\""));
  // One message per device and poll, a member per point.
  std::string device;
  ASSERT_TRUE(wait_until([&] {
    device = retained(port, "site/p1/sim/sim");
    return device.find("\"temperature\":{\"value\":") != std::string::npos &&
           device.find("\"pump\":{") != std::string::npos;
  })) << device << gw.output();
  EXPECT_THAT(retained(port, "site/p1/sim/sim/status"), HasSubstr("\"online\""));
  EXPECT_EQ(retained(port, "site/p1/sim/sim/temperature"), "");  // no per-point messages
  // A command on the template's point topic reaches the device.
  // Subscribed (its SUBACK seen) before the one command: a second command within the point's
  // 100 ms write window would be refused, and its result could be the one read here.
  Process result({"stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p",
                  std::to_string(port), "-t", "site/p1/sim/sim/pump/set/result", "-C", "1", "-W",
                  "10", "-d"});
  ASSERT_TRUE(wait_until([&] {
    return result.output().find("SUBACK") != std::string::npos || !result.running();
  })) << result.output();
  run({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port), "-t",
       "site/p1/sim/sim/pump/set", "-m", "true"},
      5s);
  ASSERT_TRUE(wait_until([&] {
    return result.output().find("\"ok\"") != std::string::npos || !result.running();
  })) << result.output();
  EXPECT_THAT(result.output(), HasSubstr("\"ok\":true")) << gw.output();
  // A clean stop says offline.
  Process status({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(port), "-t",
                  "p1/status", "-C", "2", "-W", "10"});
  ASSERT_TRUE(wait_until([&] { return status.output().find("online") != std::string::npos; }));
  gw.signal(SIGTERM);
  EXPECT_EQ(gw.wait(5s), 0) << gw.output();
  EXPECT_TRUE(wait_until([&] { return status.output().find("offline") != std::string::npos; }))
      << status.output();
}

}  // namespace
}  // namespace gw::test

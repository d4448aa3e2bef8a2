// $SYS topics end to end: the real edge-gateway binary with `broker.sys_interval: 1s`, read with
// mosquitto_sub as an operator would (`-t '$SYS/#' -v`), traffic from mosquitto_pub, and a real
// Mosquitto as the cloud broker for the bridge's topics (stopped to make the backlog grow).
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/bridge_client_under_test.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/process.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// The last value printed by `mosquitto_sub -v` for `topic`, or -1 (never printed).
long last_value(const std::string& out, const std::string& topic) {
  const std::string key = "\n" + topic + " ";
  const std::string text = "\n" + out;
  const auto at = text.rfind(key);
  if (at == std::string::npos) return -1;
  return std::atol(text.c_str() + at + key.size());
}

class GatewaySysTopics : public ::testing::Test {
 protected:
  // A subscriber known to be subscribed when this returns (its -d output shows the SUBACK).
  static std::unique_ptr<Process> subscriber(std::uint16_t port,
                                             const std::vector<std::string>& filters) {
    std::vector<std::string> a{"stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p",
                               std::to_string(port), "-V", "mqttv5", "-v", "-d", "-W", "60"};
    for (const auto& f : filters) a.insert(a.end(), {"-t", f});
    auto p = std::make_unique<Process>(a);
    wait_until([&] { return p->output().find("SUBACK") != std::string::npos || !p->running(); });
    return p;
  }

  static RunResult publish(std::uint16_t port, const std::string& topic,
                           const char* version = "mqttv5", bool retain = false) {
    std::vector<std::string> a{"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port), "-V",
                               version, "-t", topic, "-m", "m", "-q", "1"};
    if (retain) a.push_back("-r");
    return run(a, 20s);
  }
};

TEST_F(GatewaySysTopics, MosquittoSubSeesVersionUptimeAndClients) {
  GatewayProcess gw("  sys_interval: 1s\n");
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  // Retained: a subscriber gets every value at once, whenever it subscribes.
  auto r = run({"mosquitto_sub", "-h", "127.0.0.1", "-p", gw.port_str(), "-v", "-C", "4", "-W", "10",
                "-t", "$SYS/broker/version", "-t", "$SYS/broker/uptime", "-t",
                "$SYS/broker/clients/connected", "-t", "$SYS/broker/clients/total"},
               20s);
  ASSERT_EQ(r.code, 0) << r.output << "\n--- gateway:\n" << gw.process().output();
  EXPECT_THAT(r.output, HasSubstr("$SYS/broker/version edge-gateway "));
  EXPECT_THAT(r.output, HasSubstr(" seconds\n"));
  EXPECT_THAT(r.output, HasSubstr("$SYS/broker/clients/connected "));
  EXPECT_THAT(r.output, HasSubstr("$SYS/broker/clients/total "));

  // The whole tree with `$SYS/#`, as an operator asks for it: the uptime moves every interval.
  auto all = subscriber(gw.port(), {"$SYS/#"});
  ASSERT_TRUE(all->running()) << all->output();
  ASSERT_TRUE(wait_until([&] { return last_value(all->output(), "$SYS/broker/uptime") >= 0; }))
      << all->output();
  const long first = last_value(all->output(), "$SYS/broker/uptime");
  EXPECT_TRUE(wait_until([&] { return last_value(all->output(), "$SYS/broker/uptime") > first; }, 10s))
      << all->output();
  // Our subscriber is connected now, and the next interval says so.
  EXPECT_TRUE(wait_until(
      [&] { return last_value(all->output(), "$SYS/broker/clients/connected") >= 1; }, 10s))
      << all->output();
  EXPECT_THAT(all->output(), HasSubstr("$SYS/broker/retained messages/count "));
  EXPECT_THAT(all->output(), HasSubstr("$SYS/broker/messages/dropped/queue_full 0"));
}

TEST_F(GatewaySysTopics, APublishShowsInMessagesReceivedAtTheNextInterval) {
  GatewayProcess gw("  sys_interval: 1s\n");
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  auto sys = subscriber(gw.port(), {"$SYS/broker/messages/received", "$SYS/broker/bytes/received"});
  ASSERT_TRUE(sys->running()) << sys->output();
  ASSERT_TRUE(wait_until([&] { return last_value(sys->output(), "$SYS/broker/messages/received") >= 0; }))
      << sys->output();
  const long before = last_value(sys->output(), "$SYS/broker/messages/received");
  const long bytes_before = last_value(sys->output(), "$SYS/broker/bytes/received");
  for (int i = 0; i < 3; ++i) ASSERT_EQ(publish(gw.port(), "plant/boiler/temp").code, 0);
  EXPECT_TRUE(wait_until(
      [&] { return last_value(sys->output(), "$SYS/broker/messages/received") == before + 3; }, 10s))
      << sys->output();
  EXPECT_GT(last_value(sys->output(), "$SYS/broker/bytes/received"), bytes_before) << sys->output();
}

TEST_F(GatewaySysTopics, WildcardSubscribersDoNotGetSysTopics) {
  GatewayProcess gw("  sys_interval: 1s\n");
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  // MQTT 5 §4.7.2 [MQTT-4.7.2-1]: "#" and "+/..." do not match topics starting with '$'.
  auto hash = subscriber(gw.port(), {"#", "+/broker/#"});
  auto sys = subscriber(gw.port(), {"$SYS/broker/uptime"});
  ASSERT_TRUE(hash->running()) << hash->output();
  ASSERT_TRUE(sys->running()) << sys->output();
  ASSERT_TRUE(wait_until([&] { return last_value(sys->output(), "$SYS/broker/uptime") >= 0; }))
      << sys->output();
  const long first = last_value(sys->output(), "$SYS/broker/uptime");
  // Two more intervals published while "#" was subscribed, and a marker it must see.
  ASSERT_TRUE(wait_until([&] { return last_value(sys->output(), "$SYS/broker/uptime") >= first + 2; },
                         10s))
      << sys->output();
  ASSERT_EQ(publish(gw.port(), "plant/marker").code, 0);
  ASSERT_TRUE(wait_until([&] { return hash->output().find("plant/marker m") != std::string::npos; }))
      << hash->output();
  EXPECT_THAT(hash->output(), Not(HasSubstr("$SYS")));
}

TEST_F(GatewaySysTopics, ClientsCannotPublishIntoSys) {
  GatewayProcess gw("  sys_interval: 1s\n");
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  // MQTT 5: PUBACK 0x87 Not authorized. MQTT 3.1.1 cannot be told: acknowledged and dropped.
  const auto v5 = publish(gw.port(), "$SYS/broker/version", "mqttv5", /*retain=*/true);
  EXPECT_THAT(v5.output, HasSubstr("Not authorized")) << v5.output;
  EXPECT_EQ(publish(gw.port(), "$SYS/broker/version", "mqttv311", true).code, 0);
  EXPECT_EQ(publish(gw.port(), "$SYS/fake", "mqttv311", true).code, 0);
  auto version = run({"mosquitto_sub", "-h", "127.0.0.1", "-p", gw.port_str(), "-v", "-C", "1", "-W",
                      "5", "-t", "$SYS/broker/version"});
  EXPECT_THAT(version.output, HasSubstr("$SYS/broker/version edge-gateway ")) << version.output;
  EXPECT_THAT(version.output, Not(HasSubstr("$SYS/broker/version m")));
  // The retained message was not stored under $SYS/fake either.
  auto fake = run({"mosquitto_sub", "-h", "127.0.0.1", "-p", gw.port_str(), "-v", "-C", "1", "-W",
                   "2", "-t", "$SYS/fake"});
  EXPECT_THAT(fake.output, Not(HasSubstr("$SYS/fake m"))) << fake.output;
  EXPECT_THAT(gw.process().output(), HasSubstr("PUBLISH to '$SYS/broker/version' refused"));
}

TEST_F(GatewaySysTopics, AWillToSysIsNotPublished) {
  GatewayProcess gw("  sys_interval: 1s\n");
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  // A client with a retained will into $SYS/, killed so that the will stands.
  auto will = std::make_unique<Process>(std::vector<std::string>{
      "stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", gw.port_str(), "-V", "mqttv5", "-d",
      "-t", "plant/#", "--will-topic", "$SYS/broker/version", "--will-payload", "w",
      "--will-retain", "--will-qos", "1"});
  ASSERT_TRUE(wait_until([&] { return will->output().find("SUBACK") != std::string::npos; }))
      << will->output();
  will->signal(SIGKILL);
  ASSERT_TRUE(wait_until([&] {
    return gw.process().output().find("will to '$SYS/broker/version' refused") != std::string::npos;
  })) << gw.process().output();
  auto version = run({"mosquitto_sub", "-h", "127.0.0.1", "-p", gw.port_str(), "-v", "-C", "1", "-W",
                      "5", "-t", "$SYS/broker/version"});
  EXPECT_THAT(version.output, HasSubstr("$SYS/broker/version edge-gateway ")) << version.output;
}

TEST_F(GatewaySysTopics, AclReceiveRulesApplyToSys) {
  GatewayProcess gw("  sys_interval: 1s\n"
                    "  acl:\n"
                    "    - {topic: \"$SYS/broker/bytes/#\", deny: receive}\n"
                    "    - {topic: \"$SYS/#\", allow: [subscribe, receive]}\n"
                    "    - {topic: \"plant/#\", allow: [publish, subscribe, receive]}\n");
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  auto sys = subscriber(gw.port(), {"$SYS/#"});
  ASSERT_TRUE(sys->running()) << sys->output();
  ASSERT_TRUE(wait_until([&] { return last_value(sys->output(), "$SYS/broker/uptime") >= 1; }))
      << sys->output();
  // Traffic, so the byte counters change and are published again while we watch.
  ASSERT_EQ(publish(gw.port(), "plant/boiler/temp").code, 0);
  ASSERT_TRUE(wait_until([&] { return last_value(sys->output(), "$SYS/broker/messages/received") >= 1; }))
      << sys->output();
  EXPECT_THAT(sys->output(), HasSubstr("$SYS/broker/version edge-gateway"));
  EXPECT_THAT(sys->output(), Not(HasSubstr("$SYS/broker/bytes/")));
}

TEST_F(GatewaySysTopics, BridgeTopicsShowTheUplinkAndTheBacklogGrowingWhileTheCloudIsDown) {
  MosquittoProcess cloud;
  GatewayProcess gw("  sys_interval: 1s\n",
                    "bridge:\n" + bridge_client_yaml() + "  servers: [" + cloud.uri() +
                        "]\n  connect_timeout: 2s\n  reconnect: {initial: 100ms, max: 500ms}\n"
                        "  upstream:\n    - {name: telemetry, local: 'plant/#', qos: 1}\n"
                        "  outbox: {commit_window: 20ms}\n");
  ASSERT_TRUE(gw.ready()) << gw.process().output();
  auto sys = subscriber(gw.port(), {"$SYS/gateway/bridge/#", "$SYS/broker/connection/#"});
  ASSERT_TRUE(sys->running()) << sys->output();
  const auto value = [&](const char* what) { return last_value(sys->output(), what); };
  ASSERT_TRUE(wait_until([&] { return value("$SYS/gateway/bridge/connected") == 1; }, 15s))
      << sys->output() << "\n--- gateway:\n" << gw.process().output();
  EXPECT_TRUE(wait_until([&] { return value("$SYS/broker/connection/uplink/state") == 1; }, 5s));
  EXPECT_EQ(value("$SYS/gateway/bridge/backlog/messages"), 0) << sys->output();
  EXPECT_EQ(value("$SYS/gateway/bridge/eta_seconds"), 0) << sys->output();

  cloud.stop();
  ASSERT_TRUE(wait_until([&] { return value("$SYS/gateway/bridge/connected") == 0; }, 15s))
      << sys->output();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(publish(gw.port(), "plant/boiler/temp").code, 0);
  EXPECT_TRUE(wait_until([&] { return value("$SYS/gateway/bridge/backlog/messages") == 5; }, 10s))
      << sys->output();
  // The lines of one interval arrive one after another: each is waited for, not just read.
  EXPECT_TRUE(wait_until([&] { return value("$SYS/gateway/bridge/backlog/bytes") > 0; }, 10s))
      << sys->output();
  EXPECT_TRUE(wait_until([&] { return value("$SYS/gateway/bridge/eta_seconds") == -1; }, 10s))
      << sys->output();  // not draining
  EXPECT_TRUE(wait_until([&] { return value("$SYS/gateway/bridge/backlog/oldest_age_seconds") >= 1; },
                         10s))
      << sys->output();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(publish(gw.port(), "plant/boiler/temp").code, 0);
  EXPECT_TRUE(wait_until([&] { return value("$SYS/gateway/bridge/backlog/messages") == 10; }, 10s))
      << sys->output();

  // The cloud is back: the backlog drains to it.
  cloud.start();
  EXPECT_TRUE(wait_until([&] { return value("$SYS/gateway/bridge/backlog/messages") == 0; }, 20s))
      << sys->output() << "\n--- gateway:\n" << gw.process().output();
  EXPECT_TRUE(wait_until([&] { return value("$SYS/gateway/bridge/connected") == 1; }, 10s))
      << sys->output();
  EXPECT_TRUE(wait_until([&] { return value("$SYS/gateway/bridge/messages/acked") >= 10; }, 10s))
      << sys->output();
}

}  // namespace
}  // namespace gw::test

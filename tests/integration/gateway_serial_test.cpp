// A serial instrument end to end, with the real binary: `edge-gateway run` with a `type: serial`
// link on one end of a pty null-modem cable, a scripted weigh scale on the other, and
// mosquitto_sub / mosquitto_rr as the MQTT clients that read values and send a command.
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/gateway_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/pty_pair.hpp"
#include "tests/support/scripted_serial_device.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A scale that answers "W\r" with its weight and "T <kg>\r" (the tare) with "OK <kg>".
std::string links_yaml(const std::string& port) {
  return "links:\n"
         "  - name: bench\n"
         "    type: serial\n"
         "    device: scale\n"
         "    serial: {device: " + port + ", baud: 9600}\n"
         "    response_timeout: 200ms\n"
         "    reopen_after_failures: 0\n"
         "    reconnect: {initial: 50ms, max: 200ms}\n"
         "    patterns:\n"
         "      - name: weight\n"
         "        regex: '^ *(?<weight>-?[0-9.]+) (?<unit>kg|g)$'\n"
         "        points:\n"
         "          - {name: weight, unit: kg, decimals: 3}\n"
         "          - {name: unit, type: string}\n"
         "    requests:\n"
         "      - {send: \"W\\r\", interval: 100ms, expect: [weight]}\n"
         "    commands:\n"
         "      - point: tare\n"
         "        send: \"T {value:.3f}\\r\"\n"
         "        reply: '^OK (?<value>-?[0-9.]+)$'\n"
         "        reply_error: '^ERR'\n"
         "        min: 0\n"
         "        max: 10\n";
}

// The retained message on `topic`, read with mosquitto_sub (empty when there is none).
std::string retained(std::uint16_t port, const std::string& topic) {
  auto r = run({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(port), "-t", topic, "-C",
                "1", "-W", "2"},
               5s);
  return r.code == 0 ? r.output : std::string();
}

class GatewaySerial : public ::testing::Test {
 protected:
  void SetUp() override {
    scale_ = std::make_unique<ScriptedSerialDevice>(cable_.device_b(), "\r");
    scale_->respond([this](const std::string& req) -> std::optional<std::string> {
      if (silent_) return std::nullopt;
      if (req == "W") return fmt::format("  {:.3f} kg\r\n", grams_.load() / 1000.0);
      if (req.rfind("T ", 0) == 0) return "OK " + req.substr(2) + "\r\n";
      return "ERR\r\n";
    });
    gw_ = std::make_unique<GatewayProcess>("", links_yaml(cable_.device_a()));
    ASSERT_TRUE(gw_->ready()) << gw_->process().output();
  }

  bool retained_has(const std::string& topic, const std::string& text) {
    return wait_until([&] { return retained(gw_->port(), topic).find(text) != std::string::npos; });
  }

  PtyPair cable_;
  std::unique_ptr<ScriptedSerialDevice> scale_;
  std::atomic<bool> silent_{false};
  std::atomic<int> grams_{12345};
  std::unique_ptr<GatewayProcess> gw_;
};

TEST_F(GatewaySerial, PublishesRetainedGoodReadingsAndOnlineStatus) {
  ASSERT_TRUE(retained_has("test/scale/weight", "\"quality\":\"good\"")) << gw_->process().output();
  const std::string weight = retained(gw_->port(), "test/scale/weight");
  EXPECT_THAT(weight, HasSubstr("\"value\":12.345"));
  EXPECT_THAT(retained(gw_->port(), "test/scale/unit"), HasSubstr("\"value\":\"kg\""));
  EXPECT_TRUE(retained_has("test/scale/status", "\"online\""));
  EXPECT_THAT(retained(gw_->port(), "test/scale/status"), HasSubstr("\"link\":\"bench\""));

  grams_ = 13000;
  EXPECT_TRUE(retained_has("test/scale/weight", "\"value\":13.0"))
      << retained(gw_->port(), "test/scale/weight");
}

TEST_F(GatewaySerial, SilentDeviceGetsBadQualityAndGoesOfflineThenRecovers) {
  ASSERT_TRUE(retained_has("test/scale/status", "\"online\"")) << gw_->process().output();
  silent_ = true;
  ASSERT_TRUE(retained_has("test/scale/status", "\"offline\"")) << gw_->process().output();
  const std::string weight = retained(gw_->port(), "test/scale/weight");
  EXPECT_THAT(weight, HasSubstr("\"quality\":\"bad_timeout\""));
  EXPECT_THAT(weight, HasSubstr("\"value\":null"));

  silent_ = false;
  EXPECT_TRUE(retained_has("test/scale/status", "\"online\""));
  EXPECT_TRUE(retained_has("test/scale/weight", "\"quality\":\"good\""));
}

TEST_F(GatewaySerial, SetCommandIsSentToTheDeviceAndItsResultPublished) {
  ASSERT_TRUE(retained_has("test/scale/status", "\"online\"")) << gw_->process().output();
  // mosquitto_rr subscribes to the response topic first, then publishes with Response Topic.
  auto r = run({"mosquitto_rr", "-V", "mqttv5", "-h", "127.0.0.1", "-p", gw_->port_str(), "-t",
                "test/scale/tare/set", "-e", "test/replies/tare", "-m", "1.5", "-W", "5"},
               10s);
  EXPECT_EQ(r.code, 0) << r.output << "\n--- gateway:\n" << gw_->process().output();
  EXPECT_THAT(r.output, HasSubstr("\"ok\":true"));
  EXPECT_THAT(r.output, HasSubstr("\"value\":1.5"));
  bool sent = false;
  for (const auto& req : scale_->requests()) sent = sent || req == "T 1.500";
  EXPECT_TRUE(sent);

  // Out of min..max: refused by the link, nothing sent; the error on <topic>/set/result.
  r = run({"mosquitto_rr", "-V", "mqttv5", "-h", "127.0.0.1", "-p", gw_->port_str(), "-t",
           "test/scale/tare/set", "-e", "test/replies/tare", "-m", "{\"value\": 50}", "-W", "5"},
          10s);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"ok\":false"));
}

}  // namespace
}  // namespace gw::test

// The metrics endpoint and `edge-gateway status`, end to end: the real binary polling the
// simulator (`edge-gateway simulate`), scraped with curl as Prometheus would, asked with the
// `status` subcommand, and fed bad HTTP over a raw socket.
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/gateway_process.hpp"
#include "tests/support/mosquitto_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_client.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// One link to the simulator and one to a port where nothing listens (a dead device).
std::string links_yaml(std::uint16_t sim_port, std::uint16_t dead_port) {
  std::string out = "links:\n";
  const auto link = [&](const std::string& name, std::uint16_t port) {
    out += "  - name: " + name + "\n"
           "    type: modbus-tcp\n"
           "    host: 127.0.0.1\n"
           "    port: " + std::to_string(port) + "\n"
           "    response_timeout: 300ms\n"
           "    reconnect: {initial: 100ms, max: 500ms}\n"
           "    devices:\n"
           "      - name: " + name + "-dev\n"
           "        unit_id: 1\n"
           "        poll_interval: 100ms\n"
           "        points:\n"
           "          - {name: temperature, table: holding, address: 0, type: float32}\n";
  };
  link("sim", sim_port);
  link("gone", dead_port);
  return out + "metrics:\n  enabled: true\n  listen: 127.0.0.1:0\n";
}

// The value of the first sample line that starts with `series` (name and labels), or -1.
double sample(const std::string& body, const std::string& series) {
  std::size_t at = 0;
  while ((at = body.find(series, at)) != std::string::npos) {
    if (at == 0 || body[at - 1] == '\n') {
      const auto value_at = at + series.size();
      if (value_at < body.size() && body[value_at] == ' ') {
        return std::stod(body.substr(value_at + 1, body.find('\n', value_at) - value_at - 1));
      }
    }
    at += series.size();
  }
  return -1;
}

class GatewayMetrics : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<Process>(
        std::vector<std::string>{gateway_binary(), "simulate", "--port", "0"});
    const std::uint16_t sim_port = simulator_port(*sim_);
    ASSERT_NE(sim_port, 0) << sim_->output();
    // A port that was free a moment ago: nothing listens there.
    gw_ = std::make_unique<GatewayProcess>("", links_yaml(sim_port, free_port()));
    ASSERT_TRUE(gw_->ready()) << gw_->process().output();
    wait_until([&] {
      metrics_port_ = port_after(gw_->process().output(), "metrics: serving http://127.0.0.1:");
      return metrics_port_ != 0 || !gw_->process().running();
    });
    ASSERT_NE(metrics_port_, 0) << gw_->process().output();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(metrics_port_) + path;
  }

  RunResult curl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"curl", "--silent", "--show-error", "--max-time", "5"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, 10s);
  }

  std::string scrape() const {
    const auto r = curl({url("/metrics")});
    return r.code == 0 ? r.output : std::string();
  }

  // A config file for `status` that points at this gateway's metrics port.
  std::string status_config() const {
    return gw_->dir().write("status.yaml", "metrics:\n  enabled: true\n  listen: 127.0.0.1:" +
                                               std::to_string(metrics_port_) + "\n");
  }

  std::unique_ptr<Process> sim_;
  std::unique_ptr<GatewayProcess> gw_;
  std::uint16_t metrics_port_ = 0;
};

TEST_F(GatewayMetrics, ServesPrometheusTextWithBrokerLinkAndDeviceCounters) {
  const auto head = curl({"--include", url("/metrics")});
  ASSERT_EQ(head.code, 0) << head.output;
  EXPECT_THAT(head.output, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(head.output, HasSubstr("Content-Type: text/plain; version=0.0.4"));

  // The simulator's device answers, the other one never does.
  std::string body;
  ASSERT_TRUE(wait_until([&] {
    body = scrape();
    return sample(body, R"(edge_gateway_device_online{link="sim",device="sim-dev"})") == 1 &&
           sample(body, R"(edge_gateway_device_requests_total{link="sim",device="sim-dev"})") >= 3;
  })) << body << gw_->process().output();
  EXPECT_THAT(body, HasSubstr("# TYPE edge_gateway_mqtt_connections gauge"));
  EXPECT_EQ(sample(body, R"(edge_gateway_info{gateway="test",version="0.1.0"})"), 1);
  EXPECT_EQ(sample(body, R"(edge_gateway_device_online{link="gone",device="gone-dev"})"), 0);
  EXPECT_EQ(sample(body, R"(edge_gateway_device_errors_total{link="sim",device="sim-dev",kind="timeout"})"), 0);
  EXPECT_GE(sample(body, R"(edge_gateway_link_reconnects_total{link="sim"})"), 0);
  EXPECT_GT(sample(body, R"(edge_gateway_field_messages_published_total)"), 0);
  EXPECT_GT(sample(body, R"(edge_gateway_link_busy_seconds_total{link="sim"})"), 0);
  // The histogram is cumulative and its +Inf bucket equals the count.
  const double all = sample(
      body, R"(edge_gateway_device_response_seconds_bucket{link="sim",device="sim-dev",le="+Inf"})");
  EXPECT_EQ(all, sample(body, R"(edge_gateway_device_response_seconds_count{link="sim",device="sim-dev"})"));
  EXPECT_LE(sample(body, R"(edge_gateway_device_response_seconds_bucket{link="sim",device="sim-dev",le="0.001"})"),
            sample(body, R"(edge_gateway_device_response_seconds_bucket{link="sim",device="sim-dev",le="0.1"})"));
  EXPECT_THAT(body, Not(HasSubstr("edge_gateway_bridge_")));  // no bridge configured

  // A connected MQTT client shows up in the gauge.
  Process sub({"mosquitto_sub", "-h", "127.0.0.1", "-p", gw_->port_str(), "-t", "test/#"});
  EXPECT_TRUE(wait_until([&] { return sample(scrape(), "edge_gateway_mqtt_connections") == 1; }));
}

TEST_F(GatewayMetrics, StatusPrintsTheHealthReportOfTheRunningGateway) {
  ASSERT_TRUE(wait_until([&] {
    return sample(scrape(), R"(edge_gateway_device_online{link="sim",device="sim-dev"})") == 1;
  }));
  const auto r = run({gateway_binary(), "status", "--config", status_config()}, 10s);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("edge-gateway 0.1.0 'test', up "));
  EXPECT_THAT(r.output, HasSubstr("1/2 device(s) online"));
  EXPECT_THAT(r.output, HasSubstr("link sim (modbus-tcp): "));
  EXPECT_THAT(r.output, HasSubstr("  device sim-dev: online, "));
  EXPECT_THAT(r.output, HasSubstr("  device gone-dev: offline ("));
}

TEST_F(GatewayMetrics, StatusSaysWhenNoGatewayAnswers) {
  const std::string file = status_config();
  gw_->process().signal(SIGTERM);
  ASSERT_EQ(gw_->process().wait(5s), 0) << gw_->process().output();
  const auto r = run({gateway_binary(), "status", "--config", file}, 10s);
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("cannot reach the gateway at 127.0.0.1:"));

  const std::string off = gw_->dir().write("off.yaml", "gateway:\n  id: x\n");
  const auto no_endpoint = run({gateway_binary(), "status", "--config", off}, 10s);
  EXPECT_EQ(no_endpoint.code, 2) << no_endpoint.output;
  EXPECT_THAT(no_endpoint.output, HasSubstr("no metrics endpoint"));
}

TEST_F(GatewayMetrics, AnswersBadRequestsWithTheirStatusAndKeepsServing) {
  EXPECT_THAT(curl({"--include", url("/nope")}).output, HasSubstr("HTTP/1.1 404 Not Found"));
  const auto post = curl({"--include", "-X", "POST", url("/metrics")});
  EXPECT_THAT(post.output, HasSubstr("HTTP/1.1 405 Method Not Allowed"));
  EXPECT_THAT(post.output, HasSubstr("Allow: GET, HEAD"));
  const auto head = curl({"--head", url("/metrics")});
  EXPECT_THAT(head.output, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(head.output, Not(HasSubstr("# TYPE")));

  // Garbage: 400, then closed.
  RawClient garbage(metrics_port_);
  ASSERT_TRUE(garbage.connected());
  const std::string junk = "\x16\x03\x01 not http at all\r\n\r\n";
  ASSERT_TRUE(garbage.send(Bytes(junk.begin(), junk.end())));
  const Bytes answer = garbage.read_exactly(24);
  EXPECT_EQ(std::string(answer.begin(), answer.end()), "HTTP/1.1 400 Bad Request");

  // A request head that never ends: 431 once it exceeds the limit, then closed.
  RawClient flood(metrics_port_);
  ASSERT_TRUE(flood.connected());
  std::string big = "GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(9000, 'a');
  (void)flood.send(Bytes(big.begin(), big.end()));
  const Bytes too_large = flood.read_exactly(12);
  EXPECT_EQ(std::string(too_large.begin(), too_large.end()), "HTTP/1.1 431");

  // Idle connections that send nothing do not block a scrape.
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(std::make_unique<RawClient>(metrics_port_));
  const auto ok = curl({"--include", url("/status")});
  EXPECT_THAT(ok.output, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_TRUE(gw_->process().running());
}

TEST(GatewayMetricsConfig, RefusesAMetricsPortThatIsABrokerListener) {
  TempDir dir;
  const std::string file = dir.write("clash.yaml",
                                     "broker:\n  listeners:\n    - bind: 0.0.0.0:18831\n"
                                     "metrics:\n  enabled: true\n  listen: 127.0.0.1:18831\n");
  const auto r = run({gateway_binary(), "check-config", file}, 10s);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("clash.yaml:6:11: error: metrics.listen: 127.0.0.1:18831 is "
                                  "also a broker listener (0.0.0.0:18831)"));
}

}  // namespace
}  // namespace gw::test

#include "gateway/metrics.hpp"

#include <limits>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/prometheus_text.hpp"

namespace gw::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(PrometheusText, EscapesLabelValuesAndHelpText) {
  PrometheusText out;
  out.family("m_total", "counter", "back\\slash and\nnewline");
  out.sample("m_total", {{"device", "a \"quoted\" \\ name\n"}}, std::uint64_t{7});
  out.sample("m_total", {}, 1.5);
  EXPECT_EQ(out.str(),
            "# HELP m_total back\\\\slash and\\nnewline\n"
            "# TYPE m_total counter\n"
            "m_total{device=\"a \\\"quoted\\\" \\\\ name\\n\"} 7\n"
            "m_total 1.5\n");
}

TEST(PrometheusText, WritesSpecialFloatValuesAsTheFormatSpellsThem) {
  PrometheusText out;
  out.sample("g", {}, std::numeric_limits<double>::infinity());
  out.sample("g", {}, -std::numeric_limits<double>::infinity());
  out.sample("g", {}, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(out.str(), "g +Inf\ng -Inf\ng NaN\n");
}

MetricsSnapshot sample_snapshot() {
  MetricsSnapshot s;
  s.gateway_id = "plant-1";
  s.version = "1.2.3";
  s.uptime = std::chrono::seconds(3700);
  s.now_ms = 1'000'000;
  s.broker.connections_current = 2;
  s.broker.dropped_too_large = 4;
  s.broker.limit_hits[static_cast<std::size_t>(broker::LimitKind::ConnectRate)] = 6;
  s.sessions = 3;
  LinkMetrics link{.name = "bus1", .kind = "modbus-rtu", .planned_utilisation = 0.25};
  link.stats.requests = 10;
  link.stats.errors = 3;
  link.stats.busy_us = 2'500'000;
  adapters::modbus::DeviceStats dev{.name = "pump", .requests = 10, .errors = 3};
  dev.errors_by_quality[static_cast<std::size_t>(adapters::Quality::BadTimeout)] = 2;
  dev.errors_by_quality[static_cast<std::size_t>(adapters::Quality::BadCrc)] = 1;
  dev.latency[0] = 5;   // <= 1 ms
  dev.latency[3] = 3;   // <= 10 ms
  dev.latency.back() = 2;  // > 2.5 s
  dev.latency_sum_us = 6'020'000;
  link.stats.devices.push_back(dev);
  link.devices.push_back({.name = "pump", .online = false, .error = "timeout"});
  link.devices.push_back({.name = "valve", .online = std::nullopt, .error = {}});
  s.links.push_back(link);
  return s;
}

TEST(Metrics, RendersDeviceErrorsByKindAndACumulativeHistogram) {
  const std::string body = render_prometheus(sample_snapshot());
  EXPECT_THAT(body, HasSubstr("edge_gateway_info{gateway=\"plant-1\",version=\"1.2.3\"} 1\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_uptime_seconds 3700\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_mqtt_messages_dropped_total{reason=\"too_large\"} 4\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_mqtt_sessions 3\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_mqtt_limit_hits_total{limit=\"connect_rate\"} 6\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_mqtt_limit_hits_total{limit=\"topic_levels\"} 0\n"));
  EXPECT_THAT(body, HasSubstr(
      "edge_gateway_device_errors_total{link=\"bus1\",device=\"pump\",kind=\"timeout\"} 2\n"));
  EXPECT_THAT(body, HasSubstr(
      "edge_gateway_device_errors_total{link=\"bus1\",device=\"pump\",kind=\"crc\"} 1\n"));
  EXPECT_THAT(body, HasSubstr(
      "edge_gateway_device_errors_total{link=\"bus1\",device=\"pump\",kind=\"exception\"} 0\n"));
  EXPECT_THAT(body, Not(HasSubstr("kind=\"good\"")));
  const std::string b = "edge_gateway_device_response_seconds_bucket{link=\"bus1\",device=\"pump\",";
  EXPECT_THAT(body, HasSubstr(b + "le=\"0.001\"} 5\n"));
  EXPECT_THAT(body, HasSubstr(b + "le=\"0.0025\"} 5\n"));
  EXPECT_THAT(body, HasSubstr(b + "le=\"0.01\"} 8\n"));
  EXPECT_THAT(body, HasSubstr(b + "le=\"2.5\"} 8\n"));
  EXPECT_THAT(body, HasSubstr(b + "le=\"+Inf\"} 10\n"));
  EXPECT_THAT(body, HasSubstr(
      "edge_gateway_device_response_seconds_count{link=\"bus1\",device=\"pump\"} 10\n"));
  EXPECT_THAT(body, HasSubstr(
      "edge_gateway_device_response_seconds_sum{link=\"bus1\",device=\"pump\"} 6.02\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_link_busy_seconds_total{link=\"bus1\"} 2.5\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_link_planned_utilisation_ratio{link=\"bus1\"} 0.25\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_device_online{link=\"bus1\",device=\"pump\"} 0\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_device_online{link=\"bus1\",device=\"valve\"} 0\n"));
  EXPECT_THAT(body, Not(HasSubstr("edge_gateway_bridge_")));
}

TEST(Metrics, EveryFamilyIsDeclaredOnceBeforeItsSamples) {
  MetricsSnapshot s = sample_snapshot();
  s.bridge.emplace();
  const std::string body = render_prometheus(s);
  std::set<std::string> declared;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# TYPE ")) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(declared.insert(name).second) << "declared twice: " << name;
      continue;
    }
    if (line.starts_with("#")) continue;
    std::string name = line.substr(0, line.find_first_of("{ "));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (!declared.contains(name) && name.ends_with(suffix)) {
        name.resize(name.size() - std::string_view(suffix).size());
      }
    }
    EXPECT_TRUE(declared.contains(name)) << "sample before its family: " << line;
  }
}

TEST(Metrics, BridgeFamiliesCarryTheBacklogAndItsAge) {
  MetricsSnapshot s = sample_snapshot();
  bridge::BridgeStats b;
  b.connected = true;
  b.server = "tcp://cloud:1883";
  b.limits.max_packet_size = 4096;
  b.limits.receive_maximum = 20;
  b.acked = 100;
  b.dead_lettered = 3;
  b.oversize = 2;
  b.outbox.rows = 42;
  b.outbox.bytes = 4200;
  b.outbox.oldest_stored_at = 1'000'000 - 90'500;
  b.outbox.drops[bridge::DropReason::MaxAge] = 5;
  b.send_refused[bridge::SendRefusal::BufferFull] = 7;
  s.bridge = b;
  const std::string body = render_prometheus(s);
  EXPECT_THAT(body, HasSubstr("edge_gateway_bridge_connected 1\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_bridge_backlog_messages 42\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_bridge_backlog_age_seconds 90.5\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_bridge_messages_dropped_total{reason=\"max_age\"} 5\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_bridge_dead_lettered_total{reason=\"oversize\"} 2\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_bridge_dead_lettered_total{reason=\"other\"} 1\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_bridge_send_refused_total{reason=\"buffer_full\"} 7\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_bridge_send_refused_total{reason=\"disconnected\"} 0\n"));
  EXPECT_THAT(body, HasSubstr("edge_gateway_bridge_server_maximum_packet_size_bytes 4096\n"));

  const std::string status = render_status(s);
  EXPECT_THAT(status, HasSubstr("edge-gateway 1.2.3 'plant-1', up 1h1m: 2 MQTT client(s), "
                                "0/2 device(s) online, uplink connected, backlog 42 message(s)\n"));
  EXPECT_THAT(status, HasSubstr("link bus1 (modbus-rtu): 10 request(s), 3 error(s), 0 "
                                "reconnect(s), 0 late poll(s), bus plan 25%\n"));
  EXPECT_THAT(status, HasSubstr("  device pump: offline (timeout), 10 request(s), 3 error(s), "
                                "mean response 602.0 ms\n"));
  EXPECT_THAT(status, HasSubstr("  device valve: unknown\n"));
  EXPECT_THAT(status, HasSubstr("bridge: connected to tcp://cloud:1883; backlog 42 message(s), "
                                "4200 byte(s), oldest 90s; 100 acked, 0 dead letter(s), 5 dropped\n"));
}

TEST(Metrics, HealthSummaryLeavesOutWhatIsNotConfigured) {
  MetricsSnapshot s;
  s.broker.connections_current = 1;
  EXPECT_EQ(health_summary(s), "1 MQTT client(s)");
}

}  // namespace
}  // namespace gw::gateway

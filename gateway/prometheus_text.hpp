// gateway::PrometheusText: writes metrics in the Prometheus text exposition format (version
// 0.0.4, what every Prometheus, VictoriaMetrics, Telegraf and Grafana Agent scrapes).
//
//   PrometheusText out;
//   out.family("edge_gateway_mqtt_connections", "gauge", "MQTT clients connected now");
//   out.sample("edge_gateway_mqtt_connections", {}, 3);
//   out.family("edge_gateway_modbus_requests_total", "counter", "Read transactions sent");
//   out.sample("edge_gateway_modbus_requests_total", {{"link", "bus1"}, {"device", "pump"}}, 17);
//   std::string body = out.str();
//
// The writer escapes label values (backslash, double quote, newline) and HELP text (backslash,
// newline) as the format requires; metric and label names are the caller's constants. Families
// must be written one after the other (all samples of a family after its family() line).
//
// Thread safety: none; a value type used by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw::gateway {

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

class PrometheusText {
 public:
  // `type`: "counter", "gauge" or "histogram".
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, std::uint64_t value);
  void sample(std::string_view name, const Labels& labels, double value);

  [[nodiscard]] const std::string& str() const { return out_; }

 private:
  void series(std::string_view name, const Labels& labels);

  std::string out_;
};

}  // namespace gw::gateway

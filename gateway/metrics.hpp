// gateway metrics: one snapshot of every module's counters, rendered for Prometheus
// (`GET /metrics`), as the health report of `edge-gateway status` (`GET /status`), and as the
// one-line summary systemd shows (STATUS=).
//
//   MetricsSnapshot s = ...;                  // copied on the core thread
//   std::string body = render_prometheus(s);  // edge_gateway_* families, docs/operations.md
//
// Metric names: `edge_gateway_<module>_<what>[_<unit>][_total]`; counters end in `_total` and
// start at zero when the gateway starts (a SIGHUP keeps them, except a changed link's, which
// starts over with its new configuration).
//
// Thread safety: pure functions of their arguments.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapters/modbus/link.hpp"
#include "broker/broker_stats.hpp"
#include "gateway/bridge/bridge_stats.hpp"

namespace gw::gateway {

struct DeviceHealth {
  std::string name;
  std::optional<bool> online;  // nullopt until the link has reported on it
  std::string error;           // why it is offline
};

struct LinkMetrics {
  std::string name;
  std::string kind;                  // "modbus-tcp", ...
  double planned_utilisation = 0.0;  // bus time the poll plan needs per second (RTU), 0 for TCP
  adapters::modbus::LinkStats stats;
  std::vector<DeviceHealth> devices;  // configuration order, as stats.devices
};

struct FieldMetrics {
  std::uint64_t published = 0;
  std::uint64_t dropped = 0;
  std::uint64_t commands = 0;
  std::uint64_t command_errors = 0;
};

struct MetricsSnapshot {
  std::string gateway_id;
  std::string version;
  std::chrono::seconds uptime{0};
  std::int64_t now_ms = 0;  // Unix ms, for ages
  broker::BrokerStats broker;
  std::size_t sessions = 0;  // broker sessions, connected or not
  FieldMetrics field;
  std::vector<LinkMetrics> links;
  std::optional<bridge::BridgeStats> bridge;

  // Broker gauges for $SYS (gateway/sys_topics.hpp) and the metrics.
  std::size_t retained = 0;       // retained messages stored
  std::size_t subscriptions = 0;  // subscriptions (clients' and in-process ones)
};

// Prometheus text exposition format 0.0.4.
[[nodiscard]] std::string render_prometheus(const MetricsSnapshot& s);

// One line: "3 MQTT client(s), 4/5 device(s) online, uplink down, backlog 120 message(s)".
[[nodiscard]] std::string health_summary(const MetricsSnapshot& s);

// The health report: the summary line, then the broker, every link and device with its state
// and error counts, and the bridge with its backlog. Plain text for people, ends in a newline.
[[nodiscard]] std::string render_status(const MetricsSnapshot& s);

}  // namespace gw::gateway

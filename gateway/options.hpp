// gateway::GatewayOptions and MetricsOptions: process-wide settings of the gateway itself, from
// the `gateway:` and `metrics:` sections of the configuration file (parsed and validated by
// config/; see docs/configuration.md).
//
// Ownership: a plain value type. Thread safety: a value type; read-only after start-up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/log.hpp"

namespace gw::gateway {

struct GatewayOptions {
  // First level of every default topic (`<id>/<device>/<point>`) and the bridge's client id stem.
  // config/ guarantees 1..64 characters of [A-Za-z0-9._-], so it is a valid single topic level.
  std::string id = "edge-gateway";
  // Where persistent state lives (bridge outbox, retained messages). Must be writable at run time;
  // config/ checks only that it is non-empty.
  std::string data_dir = "/var/lib/edge-gateway";
  core::LogLevel log_level = core::LogLevel::Info;
  // Topic of a point's readings (gateway/topic_template.hpp): whole-level placeholders
  // {gateway}, {link}, {device}, {point}; {point} last. A device's status is published on
  // "<topic without {point}>/status", commands arrive on "<point topic>/set".
  std::string topic = "{gateway}/{device}/{point}";
  // per_point: one retained message per point; per_device: one retained message per device and
  // poll on the topic without {point}, {"<point>": {"value":..,"quality":..,"ts":..}, ...}.
  enum class Payload : std::uint8_t { PerPoint, PerDevice };
  Payload payload = Payload::PerPoint;
  // Retained {"status":"online"} while the gateway runs, {"status":"offline"} after a clean stop;
  // nullopt: "<id>/status"; "": none.
  std::optional<std::string> status_topic;

  [[nodiscard]] std::string effective_status_topic() const {
    return status_topic.value_or(id + "/status");
  }

  bool operator==(const GatewayOptions&) const = default;
};

// The `metrics:` section: the HTTP endpoint for Prometheus (`/metrics`) and for
// `edge-gateway status` (`/status`). Off unless enabled; loopback by default.
struct MetricsOptions {
  bool enabled = false;
  // An IP literal without brackets, as for broker listeners.
  std::string address = "127.0.0.1";
  std::uint16_t port = 9464;  // 0 = any free port (tests)

  bool operator==(const MetricsOptions&) const = default;
};

}  // namespace gw::gateway

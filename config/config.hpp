// config::Config: the whole configuration file, parsed and validated into each module's options.
//
// Usage (gateway/cli.cpp):
//   Diagnostics diag(path);
//   auto cfg = load_file(path, diag);
//   std::cerr << diag.format();            // errors and warnings, all at once
//   if (!cfg) return 2;
//
// Adding a section: give the module a `<module>/options.hpp`, write `config/<module>_section.cpp`
// with its Schema (see gateway_section.cpp), add a member here and one field() line to the root
// schema in config.cpp, document the keys in docs/configuration.md (a test checks that every
// key is mentioned there), and regenerate config/schema.json (GW_WRITE_SCHEMA=1 unit_config
// --gtest_filter='JsonSchema.*'; a test fails while it is stale).
//
// Thread safety: load_* are reentrant; they read the process environment for ${VAR}.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/modbus/options.hpp"
#include "adapters/serial/options.hpp"
#include "broker/options.hpp"
#include "config/diagnostics.hpp"
#include "config/schema.hpp"
#include "gateway/bridge/bridge_options.hpp"
#include "gateway/options.hpp"

namespace gw::config {

struct Config {
  gateway::GatewayOptions gateway;
  broker::BrokerOptions broker;
  // The `links:` list, by kind: Modbus links, and serial instruments (`type: serial`, one
  // instrument per link), each in file order.
  std::vector<adapters::modbus::LinkOptions> links;
  std::vector<adapters::serial::InstrumentOptions> instruments;
  // The uplink to a cloud broker; nullopt when the file has no `bridge:` section. Complete when
  // loaded: client_id, status_topic and outbox.path are derived from `gateway:` unless given
  // (config/bridge_section.hpp).
  std::optional<bridge::BridgeOptions> bridge;
  gateway::MetricsOptions metrics;
};

// Parses and validates; every problem goes into `diag`, positions 1-based. Returns nullopt when
// any error was reported. Never throws: YAML syntax errors, an unreadable or missing file and
// more than one YAML document are reported as errors; an empty file (or only comments) yields
// the defaults with a warning.
[[nodiscard]] std::optional<Config> load_file(const std::string& path, Diagnostics& diag);
[[nodiscard]] std::optional<Config> load_string(std::string_view yaml, Diagnostics& diag);

// One line for `check-config`; the field links, when there are any, are counted, and the bridge
// is described when there is one:
//   "config OK: gateway 'plant-1', 1 listener (127.0.0.1:1883)"
//   "config OK: gateway 'plant-1', 1 listener (127.0.0.1:1883), 2 links, 3 devices, 41 points"
//   (a serial link counts as a link with one device: its instrument, and its patterns' points)
//   "config OK: gateway 'plant-1', 1 listener (127.0.0.1:1883), bridge to 2 servers, 1 upstream
//    / 1 downstream route(s)"
// and ", metrics on 127.0.0.1:9464" when the metrics endpoint is enabled.
[[nodiscard]] std::string summary(const Config& config);

// The root schema (top-level keys) and every key it accepts, for the reference and its tests.
[[nodiscard]] const Schema<Config>& config_schema();
[[nodiscard]] std::vector<FieldInfo> reference();

// config/schema.json: a JSON Schema (draft 2020-12) of the file, generated from the same field
// tables — types, ranges, enums, defaults, descriptions, required keys, no unknown keys, the
// shape of durations, sizes and addresses. Pretty-printed, ending in a newline. A unit test
// keeps the committed file equal to it (GW_WRITE_SCHEMA=1 rewrites it).
[[nodiscard]] std::string json_schema();

}  // namespace gw::config

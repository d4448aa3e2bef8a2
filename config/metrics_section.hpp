// The `metrics:` section → gateway::MetricsOptions: the HTTP endpoint for Prometheus and
// `edge-gateway status`. Keys and defaults: docs/configuration.md.
#pragma once

#include "config/schema.hpp"
#include "gateway/options.hpp"

namespace gw::config {

[[nodiscard]] const Schema<gateway::MetricsOptions>& metrics_schema();

}  // namespace gw::config

// The `gateway:` section → gateway::GatewayOptions. Keys and defaults: docs/configuration.md.
#pragma once

#include "config/schema.hpp"
#include "gateway/options.hpp"

namespace gw::config {

[[nodiscard]] const Schema<gateway::GatewayOptions>& gateway_schema();

}  // namespace gw::config

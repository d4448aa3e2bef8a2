// The `bridge:` section → bridge::BridgeOptions: the uplink to a cloud broker, its routes and its
// store-and-forward outbox. Keys, defaults and every rule checked: docs/configuration.md.
//
// Three defaults depend on the `gateway:` section, which may come later in the file, so they are
// filled in by complete_bridge() once the whole file is parsed, never by the bridge at run time.
//
// Thread safety: schemas and kinds are immutable after construction.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/schema.hpp"
#include "gateway/bridge/bridge_options.hpp"
#include "gateway/options.hpp"

namespace gw::config {

[[nodiscard]] const Schema<bridge::BridgeOptions>& bridge_schema();

// Fills in what the bridge takes from the gateway, for a bridge section that loaded without
// errors; `node` is the bridge's mapping in the file:
//   client_id     absent: gateway.id. Given as "": the server assigns one.
//   status_topic  absent: "<gateway.id>/status". Given as "": no status messages.
//   outbox.path   absent: "<gateway.data_dir>/outbox.db".
void complete_bridge(bridge::BridgeOptions& options, const gateway::GatewayOptions& gateway,
                     const YAML::Node& node);

}  // namespace gw::config

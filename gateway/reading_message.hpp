// gateway::reading_message: a Reading as the MQTT message the gateway publishes for it, on
// `<gateway id>/<device>/<point>`, retained, QoS 1, with the JSON payload
//   {"value": 21.5, "quality": "good", "ts": 1764097200123}
// (bad quality: "value": null, "error" and, for Modbus exceptions, "exception").
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/reading.hpp"
#include "core/message.hpp"

namespace gw::gateway {

// A reading's value as JSON: null, a boolean, an integer keeping its signedness, a number, a string.
[[nodiscard]] nlohmann::ordered_json value_to_json(const adapters::Value& v);

[[nodiscard]] Message reading_message(std::string_view gateway_id, const adapters::Reading& r);

}  // namespace gw::gateway

// gateway::reading_message: a Reading as the MQTT message the gateway publishes for it (on the
// point's topic, gateway/topic_template.hpp), retained, QoS 1, with the JSON payload
//   {"value": 21.5, "quality": "good", "ts": 1764097200123}
// (bad quality: "value": null, "error" and, for Modbus exceptions, "exception"), and the
// per-device form: one object with a member per point, each of that shape.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/reading.hpp"
#include "core/message.hpp"

namespace gw::gateway {

// A reading's value as JSON: null, a boolean, an integer keeping its signedness, a number, a string.
[[nodiscard]] nlohmann::ordered_json value_to_json(const adapters::Value& v);

// {"value": ..., "quality": ..., "ts": ...} (plus "error"/"exception" when bad).
[[nodiscard]] nlohmann::ordered_json reading_json(const adapters::Reading& r);

[[nodiscard]] Message reading_message(std::string topic, const adapters::Reading& r);

// One message for several readings of one device: {"<point>": reading_json, ...}.
[[nodiscard]] Message device_message(std::string topic, const std::vector<adapters::Reading>& rs);

}  // namespace gw::gateway

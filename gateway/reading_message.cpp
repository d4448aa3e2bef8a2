#include "gateway/reading_message.hpp"

#include <chrono>
#include <string>
#include <type_traits>

namespace gw::gateway {

nlohmann::ordered_json value_to_json(const adapters::Value& v) {
  return std::visit(
      [](const auto& x) -> nlohmann::ordered_json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else {
          return x;
        }
      },
      v);
}

nlohmann::ordered_json reading_json(const adapters::Reading& r) {
  // ordered_json: members in the documented order, not sorted.
  nlohmann::ordered_json j;
  j["value"] = value_to_json(r.value);
  j["quality"] = adapters::to_string(r.quality);
  if (r.quality != adapters::Quality::Good) {
    j["error"] = r.error;
    if (r.exception != 0) j["exception"] = r.exception;
  }
  j["ts"] = std::chrono::duration_cast<std::chrono::milliseconds>(r.ts.time_since_epoch()).count();
  return j;
}

namespace {
Message json_message(std::string topic, const nlohmann::ordered_json& j) {
  Message m{.topic = std::move(topic), .payload = j.dump(), .qos = QoS::AtLeastOnce, .retain = true};
  m.props.payload_format = PayloadFormat::Utf8;
  m.props.content_type = "application/json";
  return m;
}
}  // namespace

Message reading_message(std::string topic, const adapters::Reading& r) {
  return json_message(std::move(topic), reading_json(r));
}

Message device_message(std::string topic, const std::vector<adapters::Reading>& rs) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& r : rs) j[r.point] = reading_json(r);
  return json_message(std::move(topic), j);
}

}  // namespace gw::gateway

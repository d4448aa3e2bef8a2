// TopicName: the topic a PUBLISH (or a will) is sent to (MQTT 5 §4.7, §3.3.2.1). Built only by
// TopicName::make, which validates; a default-constructed TopicName is the empty topic, which is
// only meaningful in an MQTT 5 PUBLISH that carries a Topic Alias (MQTT 5 §3.3.2.3.4).
//
// Ownership: owns its text.
// Thread safety: a value type.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace gw::broker::protocol {

// MQTT 5 §1.5.4: a UTF-8 Encoded String is at most 65,535 bytes; topics are such strings.
inline constexpr std::size_t kMaxTopicLength = 65535;

class TopicName {
 public:
  // The empty topic (only for a v5 PUBLISH that relies on a Topic Alias).
  TopicName() = default;

  // Validates `text` as a Topic Name.
  // Errors: MqttErrc::TopicNameInvalid when `text` is empty (MQTT 5 §4.7.3 [MQTT-4.7.3-1]),
  // contains '+' or '#' (MQTT 5 §3.3.2.1 [MQTT-3.3.2-2]), is longer than 65,535 bytes, or is not
  // valid MQTT UTF-8 (see is_valid_mqtt_utf8).
  [[nodiscard]] static Result<TopicName> make(std::string text);

  [[nodiscard]] const std::string& str() const noexcept { return text_; }
  [[nodiscard]] std::string_view view() const noexcept { return text_; }
  [[nodiscard]] bool empty() const noexcept { return text_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return text_.size(); }

  friend bool operator==(const TopicName&, const TopicName&) = default;

 private:
  explicit TopicName(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

}  // namespace gw::broker::protocol

// TopicFilter: a subscription's filter (MQTT 5 §4.7), possibly a shared subscription
// "$share/{ShareName}/{filter}" (MQTT 5 §4.8.2). Built only by TopicFilter::make, which validates.
//
// Shared subscriptions are recognised whatever the protocol version: an MQTT 3.1.1 client that
// subscribes to "$share/g/x" gets the same treatment (most brokers do this); the broker may refuse
// shared subscriptions for either version with SubackReason::SharedSubscriptionsNotSupported.
//
// Ownership: owns its text.
// Thread safety: a value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace gw::broker::protocol {

class TopicFilter {
 public:
  // Validates `text` as a Topic Filter.
  // Errors: MqttErrc::TopicFilterInvalid when `text`
  //  - is empty (MQTT 5 §4.7.3 [MQTT-4.7.3-1]) or longer than 65,535 bytes;
  //  - has '#' anywhere but alone in the last level (MQTT 5 §4.7.1.2 [MQTT-4.7.1-1]);
  //  - has '+' not alone in its level (MQTT 5 §4.7.1.3 [MQTT-4.7.1-2]);
  //  - starts with "$share/" but the ShareName is empty or contains '/', '+' or '#', or no
  //    non-empty valid filter follows it (MQTT 5 §4.8.2 [MQTT-4.8.2-1], [MQTT-4.8.2-2]);
  //  - is not valid MQTT UTF-8 (see is_valid_mqtt_utf8).
  [[nodiscard]] static Result<TopicFilter> make(std::string text);

  // The whole filter as subscribed, "$share/..." prefix included.
  [[nodiscard]] const std::string& str() const noexcept { return text_; }
  [[nodiscard]] bool is_shared() const noexcept { return filter_offset_ != 0; }
  // The ShareName of a shared subscription; empty otherwise.
  [[nodiscard]] std::string_view share_name() const noexcept;
  // The filter that topics are matched against: the part after "$share/{ShareName}/" for a
  // shared subscription, the whole text otherwise.
  [[nodiscard]] std::string_view filter() const noexcept {
    return std::string_view(text_).substr(filter_offset_);
  }
  [[nodiscard]] bool has_wildcards() const noexcept;

  friend bool operator==(const TopicFilter&, const TopicFilter&) = default;

 private:
  TopicFilter(std::string text, std::uint32_t filter_offset)
      : text_(std::move(text)), filter_offset_(filter_offset) {}
  std::string text_;
  std::uint32_t filter_offset_ = 0;  // where the inner filter starts; 0 when not shared
};

// Whether the topic name `topic` matches `filter` (its inner filter when shared), following
// MQTT 5 §4.7: '+' matches exactly one level (possibly empty), '#' matches the parent level and
// any number of child levels, and a filter starting with a wildcard does not match a topic that
// starts with '$' (MQTT 5 §4.7.2 [MQTT-4.7.2-1]). Never copies `topic`.
// Precondition: `topic` is a valid, non-empty topic name (TopicName::view()).
[[nodiscard]] bool matches(const TopicFilter& filter, std::string_view topic) noexcept;

}  // namespace gw::broker::protocol

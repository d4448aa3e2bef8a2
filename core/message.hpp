// core::Message: one application message as it travels between the broker, the adapters and the
// bridge: topic, payload, QoS, retain and the MQTT 5 properties that belong to the message itself
// (not to one packet that carries it). Packet-level data (packet id, DUP, topic alias, subscription
// ids) stays in broker/protocol.
//
// Ownership: owns its strings. Shared immutably between subscribers through
// std::shared_ptr<const Message> on hot paths.
// Thread safety: a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gw {

enum class QoS : std::uint8_t { AtMostOnce = 0, AtLeastOnce = 1, ExactlyOnce = 2 };

// MQTT 5 §3.3.2.3.7 User Property: a UTF-8 string pair; order is significant and repeats allowed.
struct UserProperty {
  std::string name;
  std::string value;
  friend bool operator==(const UserProperty&, const UserProperty&) = default;
};

// MQTT 5 §3.3.2.3.2 Payload Format Indicator.
enum class PayloadFormat : std::uint8_t { Unspecified = 0, Utf8 = 1 };

struct MessageProps {
  std::optional<PayloadFormat> payload_format;
  std::optional<std::uint32_t> message_expiry;  // seconds, MQTT 5 §3.3.2.3.3
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;
  std::optional<std::string> correlation_data;  // binary
  std::vector<UserProperty> user;
  friend bool operator==(const MessageProps&, const MessageProps&) = default;
};

struct Message {
  std::string topic;
  std::string payload;  // binary
  QoS qos = QoS::AtMostOnce;
  bool retain = false;
  MessageProps props;
  friend bool operator==(const Message&, const Message&) = default;
};

}  // namespace gw

// Publish: the PUBLISH packet (MQTT 3.1.1 §3.3, MQTT 5 §3.3).
//
// The message properties reuse gw::MessageProps (core/message.hpp); what belongs to this one
// packet rather than to the message (Topic Alias, Subscription Identifiers, DUP, packet id) is
// kept here.
//
// Ownership: owns topic, payload and properties. Thread safety: a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/packet_id.hpp"
#include "broker/protocol/topic_name.hpp"
#include "core/message.hpp"

namespace gw::broker::protocol {

// MQTT 5 §3.3.2.3 PUBLISH properties.
struct PublishProps {
  MessageProps message;  // Payload Format, Message Expiry, Content Type, Response Topic, ...
  std::optional<std::uint16_t> topic_alias;  // never 0 on the wire
  // Server to client only, and the only property besides User Property that may repeat
  // (MQTT 5 §3.3.2.3.8). Whether a client sent one (a Protocol Error [MQTT-3.3.4-6]) is checked
  // by the broker, which knows the direction.
  std::vector<std::uint32_t> subscription_ids;
  friend bool operator==(const PublishProps&, const PublishProps&) = default;
};

struct Publish {
  // Empty only in an MQTT 5 PUBLISH with a Topic Alias (MQTT 5 §3.3.2.3.4).
  TopicName topic;
  std::string payload;  // binary
  QoS qos = QoS::AtMostOnce;
  bool retain = false;
  bool dup = false;  // never with QoS 0 [MQTT-3.3.1-2]
  // Used only when qos > 0 (MQTT 5 §3.3.2.2), then never 0; the decoder leaves it 0 for QoS 0
  // and encode() does not write it for QoS 0.
  PacketId packet_id{};
  PublishProps props;  // MQTT 5 only
  friend bool operator==(const Publish&, const Publish&) = default;
};

}  // namespace gw::broker::protocol

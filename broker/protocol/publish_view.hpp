// PublishView: a PUBLISH to send, encoded straight from a shared, immutable gw::Message plus the
// fields that belong to one delivery (QoS, flags, packet id, what is left of the expiry interval,
// subscription identifiers, topic alias). The broker's delivery path uses it so that forwarding a
// message to a subscriber copies neither the topic, the payload nor the properties.
//
// Ownership: borrows `message` and `subscription_ids`; use it within the statement that encodes.
// Thread safety: as safe as the Message it views (immutable once shared).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "broker/protocol/packet_id.hpp"
#include "core/message.hpp"

namespace gw::broker::protocol {

struct PublishView {
  const Message& message;
  QoS qos = QoS::AtMostOnce;
  bool retain = false;
  bool dup = false;
  PacketId packet_id{};  // written only when qos > 0
  // MQTT 5 §3.3.2.3.3 [MQTT-3.3.2-6]: sent instead of message.props.message_expiry.
  std::optional<std::uint32_t> message_expiry;
  std::span<const std::uint32_t> subscription_ids;  // MQTT 5 only
  std::optional<std::uint16_t> topic_alias;         // MQTT 5 only
  // With a topic alias the client already knows: send a zero-length topic (MQTT 5 §3.3.2.3.4).
  bool omit_topic = false;
};

}  // namespace gw::broker::protocol

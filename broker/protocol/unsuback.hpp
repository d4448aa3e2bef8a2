// Unsuback: the UNSUBACK packet (MQTT 3.1.1 §3.11, MQTT 5 §3.11).
//
// In MQTT 3.1.1 the packet is only the packet id: reasons and props are not written and decode
// as empty.
//
// Ownership: owns its vectors. Thread safety: a value type.
#pragma once

#include <cstdint>
#include <vector>

#include "broker/protocol/ack_props.hpp"
#include "broker/protocol/packet_id.hpp"

namespace gw::broker::protocol {

// MQTT 5 §3.11.3 Unsubscribe Reason Code.
enum class UnsubackReason : std::uint8_t {
  Success = 0x00,
  NoSubscriptionExisted = 0x11,
  UnspecifiedError = 0x80,
  ImplementationSpecificError = 0x83,
  NotAuthorized = 0x87,
  TopicFilterInvalid = 0x8F,
  PacketIdentifierInUse = 0x91,
};

struct Unsuback {
  PacketId packet_id{};
  std::vector<UnsubackReason> reasons;  // MQTT 5: at least one on the wire
  AckProps props;                       // MQTT 5 only
  friend bool operator==(const Unsuback&, const Unsuback&) = default;
};

}  // namespace gw::broker::protocol

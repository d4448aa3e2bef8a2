// Pubrel: the PUBREL packet (MQTT 3.1.1 §3.6, MQTT 5 §3.6).
//
// In MQTT 3.1.1 the packet is only the packet id: reason and props are not written, and
// decoding yields PubrelReason::Success with no props.
//
// Ownership: owns its properties. Thread safety: a value type.
#pragma once

#include <cstdint>

#include "broker/protocol/ack_props.hpp"
#include "broker/protocol/packet_id.hpp"

namespace gw::broker::protocol {

// MQTT 5 §3.6.2.1 PUBREL Reason Code.
enum class PubrelReason : std::uint8_t {
  Success = 0x00,
  PacketIdentifierNotFound = 0x92,
};

struct Pubrel {
  PacketId packet_id{};  // never 0 on the wire
  PubrelReason reason = PubrelReason::Success;
  AckProps props;  // MQTT 5 only
  friend bool operator==(const Pubrel&, const Pubrel&) = default;
};

}  // namespace gw::broker::protocol

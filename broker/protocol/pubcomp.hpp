// Pubcomp: the PUBCOMP packet (MQTT 3.1.1 §3.7, MQTT 5 §3.7).
//
// In MQTT 3.1.1 the packet is only the packet id: reason and props are not written, and
// decoding yields PubcompReason::Success with no props.
//
// Ownership: owns its properties. Thread safety: a value type.
#pragma once

#include <cstdint>

#include "broker/protocol/ack_props.hpp"
#include "broker/protocol/packet_id.hpp"

namespace gw::broker::protocol {

// MQTT 5 §3.7.2.1 PUBCOMP Reason Code.
enum class PubcompReason : std::uint8_t {
  Success = 0x00,
  PacketIdentifierNotFound = 0x92,
};

struct Pubcomp {
  PacketId packet_id{};  // never 0 on the wire
  PubcompReason reason = PubcompReason::Success;
  AckProps props;  // MQTT 5 only
  friend bool operator==(const Pubcomp&, const Pubcomp&) = default;
};

}  // namespace gw::broker::protocol

// Puback: the PUBACK packet (MQTT 3.1.1 §3.4, MQTT 5 §3.4).
//
// In MQTT 3.1.1 the packet is only the packet id: reason and props are not written, and
// decoding yields PubackReason::Success with no props.
//
// Ownership: owns its properties. Thread safety: a value type.
#pragma once

#include <cstdint>

#include "broker/protocol/ack_props.hpp"
#include "broker/protocol/packet_id.hpp"

namespace gw::broker::protocol {

// MQTT 5 §3.4.2.1 PUBACK Reason Code.
enum class PubackReason : std::uint8_t {
  Success = 0x00,
  NoMatchingSubscribers = 0x10,
  UnspecifiedError = 0x80,
  ImplementationSpecificError = 0x83,
  NotAuthorized = 0x87,
  TopicNameInvalid = 0x90,
  PacketIdentifierInUse = 0x91,
  QuotaExceeded = 0x97,
  PayloadFormatInvalid = 0x99,
};

struct Puback {
  PacketId packet_id{};  // never 0 on the wire
  PubackReason reason = PubackReason::Success;
  AckProps props;  // MQTT 5 only
  friend bool operator==(const Puback&, const Puback&) = default;
};

}  // namespace gw::broker::protocol

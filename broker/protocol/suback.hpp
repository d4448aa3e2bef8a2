// Suback: the SUBACK packet (MQTT 3.1.1 §3.9, MQTT 5 §3.9), one reason per subscription.
//
// MQTT 3.1.1 has four return codes, 0x00/0x01/0x02 (granted QoS) and 0x80 (failure). Decoding
// MQTT 3.1.1 maps 0x80 to SubackReason::UnspecifiedError; encoding for MQTT 3.1.1 writes every
// failure reason (>= 0x80) as 0x80.
//
// Ownership: owns its vectors. Thread safety: a value type.
#pragma once

#include <cstdint>
#include <vector>

#include "broker/protocol/ack_props.hpp"
#include "broker/protocol/packet_id.hpp"

namespace gw::broker::protocol {

// MQTT 5 §3.9.3 Subscribe Reason Code.
enum class SubackReason : std::uint8_t {
  GrantedQoS0 = 0x00,
  GrantedQoS1 = 0x01,
  GrantedQoS2 = 0x02,
  UnspecifiedError = 0x80,
  ImplementationSpecificError = 0x83,
  NotAuthorized = 0x87,
  TopicFilterInvalid = 0x8F,
  PacketIdentifierInUse = 0x91,
  QuotaExceeded = 0x97,
  SharedSubscriptionsNotSupported = 0x9E,
  SubscriptionIdentifiersNotSupported = 0xA1,
  WildcardSubscriptionsNotSupported = 0xA2,
};

struct Suback {
  PacketId packet_id{};
  std::vector<SubackReason> reasons;  // at least one on the wire
  AckProps props;                     // MQTT 5 only
  friend bool operator==(const Suback&, const Suback&) = default;
};

}  // namespace gw::broker::protocol

// PacketType: the MQTT Control Packet type, the high nibble of the fixed header's first byte
// (MQTT 5 §2.1.2). AUTH (15) exists in MQTT 5 only; 0 is reserved in both versions.
//
// Thread safety: a value type.
#pragma once

#include <cstdint>

namespace gw::broker::protocol {

enum class PacketType : std::uint8_t {
  Connect = 1,
  Connack = 2,
  Publish = 3,
  Puback = 4,
  Pubrec = 5,
  Pubrel = 6,
  Pubcomp = 7,
  Subscribe = 8,
  Suback = 9,
  Unsubscribe = 10,
  Unsuback = 11,
  Pingreq = 12,
  Pingresp = 13,
  Disconnect = 14,
  Auth = 15,
};

}  // namespace gw::broker::protocol

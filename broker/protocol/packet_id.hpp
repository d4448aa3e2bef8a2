// PacketId: the 16-bit Packet Identifier of PUBLISH (QoS > 0), PUBACK, PUBREC, PUBREL, PUBCOMP,
// SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK (MQTT 5 §2.2.1). A strong type so that it cannot
// be mixed up with other integers; 0 is never valid on the wire [MQTT-2.2.1-3] and the decoder
// refuses it.
//
// Thread safety: a value type.
#pragma once

#include <cstdint>

namespace gw::broker::protocol {

enum class PacketId : std::uint16_t {};

}  // namespace gw::broker::protocol

// ProtocolVersion: which MQTT the peer speaks, i.e. the Protocol Level byte of its CONNECT
// (MQTT 3.1.1 §3.1.2.2, MQTT 5 §3.1.2.2). Everything after CONNECT is encoded and decoded for
// that version.
//
// Thread safety: a value type.
#pragma once

#include <cstdint>

namespace gw::broker::protocol {

enum class ProtocolVersion : std::uint8_t { V311 = 4, V5 = 5 };

}  // namespace gw::broker::protocol

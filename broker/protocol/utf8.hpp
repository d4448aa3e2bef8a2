// UTF-8 validation for MQTT UTF-8 Encoded Strings (MQTT 5 §1.5.4, MQTT 3.1.1 §1.5.3).
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

namespace gw::broker::protocol {

// True when `text` is acceptable as the content of an MQTT UTF-8 Encoded String:
//  - well-formed UTF-8 as RFC 3629 defines it: no overlong forms, nothing above U+10FFFF, and no
//    UTF-16 surrogates U+D800..U+DFFF (MQTT 5 §1.5.4 [MQTT-1.5.4-1]);
//  - no U+0000 (MQTT 5 §1.5.4 [MQTT-1.5.4-2]).
// The control characters U+0001..U+001F and U+007F..U+009F and the Unicode non-characters are
// accepted: the spec says they SHOULD NOT be sent, and a receiver that is not told otherwise must
// not reject a packet for them (MQTT 5 §1.5.4 [MQTT-1.5.4-3] covers only the BOM; the rest is
// application choice, and we do not second-guess applications).
// A failure is reported by the decoder as MqttErrc::MalformedPacket.
[[nodiscard]] bool is_valid_mqtt_utf8(std::string_view text) noexcept;

}  // namespace gw::broker::protocol

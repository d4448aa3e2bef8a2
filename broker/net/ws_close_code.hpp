// net::WsCloseCode: the RFC 6455 §7.4.1 status codes the WebSocket layer sends in a Close frame,
// registered as an error category so that a framing error is a std::error_code whose value is the
// code to close with (`ec == WsCloseCode::MessageTooBig`).
//
// Thread safety: the category is immutable.
#pragma once

#include <cstdint>
#include <system_error>

namespace gw::broker::net {

enum class WsCloseCode : std::uint16_t {
  Normal = 1000,
  GoingAway = 1001,
  ProtocolError = 1002,
  UnsupportedData = 1003,  // a text frame: MQTT is binary [MQTT-6.0.0-1]
  NoStatus = 1005,         // received only: a Close frame without a code
  InvalidPayload = 1007,
  PolicyViolation = 1008,
  MessageTooBig = 1009,
};

[[nodiscard]] const std::error_category& ws_category() noexcept;
[[nodiscard]] std::error_code make_error_code(WsCloseCode c) noexcept;

}  // namespace gw::broker::net

template <>
struct std::is_error_code_enum<gw::broker::net::WsCloseCode> : std::true_type {};

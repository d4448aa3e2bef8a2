// MqttErrc: the MQTT 5 failure reason codes (0x80 and above, MQTT 5 §2.4) as a std::error_code
// domain, so that a codec or session failure carries the exact code the peer must be told:
//   if (ec == gw::MqttErrc::MalformedPacket) ...
// MQTT 3.1.1 peers get these mapped to their smaller code sets by the broker.
//
// Thread safety: the category is immutable and safe from any thread.
#pragma once

#include <cstdint>
#include <system_error>

namespace gw {

enum class MqttErrc : std::uint8_t {
  UnspecifiedError = 0x80,
  MalformedPacket = 0x81,
  ProtocolError = 0x82,
  ImplementationSpecificError = 0x83,
  UnsupportedProtocolVersion = 0x84,
  ClientIdentifierNotValid = 0x85,
  BadUserNameOrPassword = 0x86,
  NotAuthorized = 0x87,
  ServerUnavailable = 0x88,
  ServerBusy = 0x89,
  Banned = 0x8A,
  ServerShuttingDown = 0x8B,
  BadAuthenticationMethod = 0x8C,
  KeepAliveTimeout = 0x8D,
  SessionTakenOver = 0x8E,
  TopicFilterInvalid = 0x8F,
  TopicNameInvalid = 0x90,
  PacketIdentifierInUse = 0x91,
  PacketIdentifierNotFound = 0x92,
  ReceiveMaximumExceeded = 0x93,
  TopicAliasInvalid = 0x94,
  PacketTooLarge = 0x95,
  MessageRateTooHigh = 0x96,
  QuotaExceeded = 0x97,
  AdministrativeAction = 0x98,
  PayloadFormatInvalid = 0x99,
  RetainNotSupported = 0x9A,
  QosNotSupported = 0x9B,
  UseAnotherServer = 0x9C,
  ServerMoved = 0x9D,
  SharedSubscriptionsNotSupported = 0x9E,
  ConnectionRateExceeded = 0x9F,
  MaximumConnectTime = 0xA0,
  SubscriptionIdentifiersNotSupported = 0xA1,
  WildcardSubscriptionsNotSupported = 0xA2,
};

[[nodiscard]] const std::error_category& mqtt_category() noexcept;
[[nodiscard]] std::error_code make_error_code(MqttErrc e) noexcept;

// The reason code carried by an error in the MQTT domain, or UnspecifiedError for any other.
[[nodiscard]] MqttErrc to_mqtt_errc(std::error_code ec) noexcept;

}  // namespace gw

template <>
struct std::is_error_code_enum<gw::MqttErrc> : std::true_type {};

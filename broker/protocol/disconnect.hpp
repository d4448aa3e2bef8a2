// Disconnect: the DISCONNECT packet (MQTT 3.1.1 §3.14, MQTT 5 §3.14).
//
// In MQTT 3.1.1 the packet is a fixed header alone: reason and props are not written and decode
// as NormalDisconnection with no props.
//
// Ownership: owns its properties. Thread safety: a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/message.hpp"

namespace gw::broker::protocol {

// MQTT 5 §3.14.2.1 Disconnect Reason Code.
enum class DisconnectReason : std::uint8_t {
  NormalDisconnection = 0x00,
  DisconnectWithWillMessage = 0x04,
  UnspecifiedError = 0x80,
  MalformedPacket = 0x81,
  ProtocolError = 0x82,
  ImplementationSpecificError = 0x83,
  NotAuthorized = 0x87,
  ServerBusy = 0x89,
  ServerShuttingDown = 0x8B,
  BadAuthenticationMethod = 0x8C,
  KeepAliveTimeout = 0x8D,
  SessionTakenOver = 0x8E,
  TopicFilterInvalid = 0x8F,
  TopicNameInvalid = 0x90,
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

// Whether `code` is one of the DISCONNECT Reason Codes of MQTT 5 §3.14.2.1 [MQTT-3.14.2-1].
[[nodiscard]] bool is_disconnect_reason(std::uint8_t code) noexcept;

// MQTT 5 §3.14.2.2 DISCONNECT properties.
struct DisconnectProps {
  std::optional<std::uint32_t> session_expiry;
  std::optional<std::string> reason_string;
  std::vector<UserProperty> user;
  std::optional<std::string> server_reference;
  friend bool operator==(const DisconnectProps&, const DisconnectProps&) = default;
};

struct Disconnect {
  DisconnectReason reason = DisconnectReason::NormalDisconnection;
  DisconnectProps props;  // MQTT 5 only
  friend bool operator==(const Disconnect&, const Disconnect&) = default;
};

}  // namespace gw::broker::protocol

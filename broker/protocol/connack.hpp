// Connack: the CONNACK packet (MQTT 3.1.1 §3.2, MQTT 5 §3.2).
//
// One reason type serves both versions. MQTT 3.1.1's Connect Return Codes 0..5 map one to one
// onto ConnackReason values:
//   0 Connection Accepted                 <-> Success (0x00)
//   1 Unacceptable protocol version       <-> UnsupportedProtocolVersion (0x84)
//   2 Identifier rejected                 <-> ClientIdentifierNotValid (0x85)
//   3 Server unavailable                  <-> ServerUnavailable (0x88)
//   4 Bad user name or password           <-> BadUserNameOrPassword (0x86)
//   5 Not authorized                      <-> NotAuthorized (0x87)
// Decoding MQTT 3.1.1 yields only these six. Encoding for MQTT 3.1.1 maps every other failure
// onto the closest code (see to_v311_return_code): Banned and BadAuthenticationMethod become 5,
// everything else 3 (the server cannot serve this client now).
//
// Ownership: owns its strings. Thread safety: a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/message.hpp"

namespace gw::broker::protocol {

// MQTT 5 §3.2.2.2 Connect Reason Code.
enum class ConnackReason : std::uint8_t {
  Success = 0x00,
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
  BadAuthenticationMethod = 0x8C,
  TopicNameInvalid = 0x90,
  PacketTooLarge = 0x95,
  QuotaExceeded = 0x97,
  PayloadFormatInvalid = 0x99,
  RetainNotSupported = 0x9A,
  QosNotSupported = 0x9B,
  UseAnotherServer = 0x9C,
  ServerMoved = 0x9D,
  ConnectionRateExceeded = 0x9F,
};

// MQTT 3.1.1 §3.2.2.3 Connect Return Code.
enum class ConnackReturnCode311 : std::uint8_t {
  Accepted = 0,
  UnacceptableProtocolVersion = 1,
  IdentifierRejected = 2,
  ServerUnavailable = 3,
  BadUserNameOrPassword = 4,
  NotAuthorized = 5,
};

[[nodiscard]] ConnackReturnCode311 to_v311_return_code(ConnackReason reason) noexcept;
[[nodiscard]] ConnackReason from_v311_return_code(ConnackReturnCode311 code) noexcept;

// MQTT 5 §3.2.2.3 CONNACK properties.
struct ConnackProps {
  std::optional<std::uint32_t> session_expiry;
  std::optional<std::uint16_t> receive_maximum;  // never 0 on the wire
  std::optional<QoS> maximum_qos;                // only AtMostOnce or AtLeastOnce on the wire
  std::optional<bool> retain_available;
  std::optional<std::uint32_t> maximum_packet_size;  // never 0 on the wire
  std::optional<std::string> assigned_client_id;
  std::optional<std::uint16_t> topic_alias_maximum;
  std::optional<std::string> reason_string;
  std::vector<UserProperty> user;
  std::optional<bool> wildcard_subscription_available;
  std::optional<bool> subscription_identifiers_available;
  std::optional<bool> shared_subscription_available;
  std::optional<std::uint16_t> server_keep_alive;
  std::optional<std::string> response_information;
  std::optional<std::string> server_reference;
  std::optional<std::string> authentication_method;
  std::optional<std::string> authentication_data;  // binary
  friend bool operator==(const ConnackProps&, const ConnackProps&) = default;
};

struct Connack {
  bool session_present = false;
  ConnackReason reason = ConnackReason::Success;
  ConnackProps props;  // MQTT 5 only
  friend bool operator==(const Connack&, const Connack&) = default;
};

}  // namespace gw::broker::protocol

// Connect: the CONNECT packet (MQTT 3.1.1 §3.1, MQTT 5 §3.1), with its will message.
//
// CONNECT carries its own protocol version, so it is decodable before the version of a
// connection is known, and encode() writes it in Connect::version whatever version it is given.
// Fields that exist in MQTT 5 only (props, Will::props, Will::delay_interval) are not written
// for MQTT 3.1.1.
//
// Ownership: owns all its strings. Thread safety: a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/protocol_version.hpp"
#include "broker/protocol/topic_name.hpp"
#include "core/message.hpp"

namespace gw::broker::protocol {

// The will message (MQTT 5 §3.1.2.5, §3.1.3.2). The message properties reuse gw::MessageProps;
// Will Delay Interval belongs to the will, not to the message, so it is kept apart.
struct Will {
  TopicName topic;
  std::string payload;  // binary
  QoS qos = QoS::AtMostOnce;
  bool retain = false;
  MessageProps props;                           // MQTT 5 only
  std::optional<std::uint32_t> delay_interval;  // seconds, MQTT 5 §3.1.3.2.2; MQTT 5 only
  friend bool operator==(const Will&, const Will&) = default;
};

// MQTT 5 §3.1.2.11 CONNECT properties.
struct ConnectProps {
  std::optional<std::uint32_t> session_expiry;       // seconds
  std::optional<std::uint16_t> receive_maximum;      // never 0 on the wire
  std::optional<std::uint32_t> maximum_packet_size;  // never 0 on the wire
  std::optional<std::uint16_t> topic_alias_maximum;
  std::optional<bool> request_response_information;
  std::optional<bool> request_problem_information;
  std::vector<UserProperty> user;
  std::optional<std::string> authentication_method;
  std::optional<std::string> authentication_data;  // binary; only with a method
  friend bool operator==(const ConnectProps&, const ConnectProps&) = default;
};

struct Connect {
  ProtocolVersion version = ProtocolVersion::V5;
  std::string client_id;  // may be empty: the broker decides (MQTT 5 §3.1.3.1)
  bool clean_start = true;  // "Clean Session" in MQTT 3.1.1
  std::uint16_t keep_alive = 0;  // seconds
  std::optional<std::string> username;
  std::optional<std::string> password;  // binary; in MQTT 3.1.1 only with a username
  std::optional<Will> will;
  ConnectProps props;  // MQTT 5 only
  friend bool operator==(const Connect&, const Connect&) = default;
};

}  // namespace gw::broker::protocol

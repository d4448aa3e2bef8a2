// Auth: the AUTH packet (MQTT 5 §3.15). MQTT 5 only: encoding it for MQTT 3.1.1 is a
// programming error (checked), and decoding packet type 15 for MQTT 3.1.1 is a Malformed Packet.
//
// Ownership: owns its properties. Thread safety: a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/message.hpp"

namespace gw::broker::protocol {

// MQTT 5 §3.15.2.1 Authenticate Reason Code.
enum class AuthReason : std::uint8_t {
  Success = 0x00,
  ContinueAuthentication = 0x18,
  ReAuthenticate = 0x19,
};

// MQTT 5 §3.15.2.2 AUTH properties.
struct AuthProps {
  std::optional<std::string> authentication_method;
  std::optional<std::string> authentication_data;  // binary; only with a method
  std::optional<std::string> reason_string;
  std::vector<UserProperty> user;
  friend bool operator==(const AuthProps&, const AuthProps&) = default;
};

struct Auth {
  AuthReason reason = AuthReason::Success;
  AuthProps props;
  friend bool operator==(const Auth&, const Auth&) = default;
};

}  // namespace gw::broker::protocol

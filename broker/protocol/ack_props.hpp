// AckProps: the properties every MQTT 5 acknowledgement may carry and nothing else: PUBACK,
// PUBREC, PUBREL, PUBCOMP (MQTT 5 §3.4.2.2 and following), SUBACK (§3.9.2.1) and UNSUBACK
// (§3.11.2.1). Dropped when encoding for MQTT 3.1.1, which has no properties.
//
// Ownership: owns its strings. Thread safety: a value type.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/message.hpp"

namespace gw::broker::protocol {

struct AckProps {
  std::optional<std::string> reason_string;  // human readable, for diagnostics only
  std::vector<UserProperty> user;
  friend bool operator==(const AckProps&, const AckProps&) = default;
};

}  // namespace gw::broker::protocol

// Unsubscribe: the UNSUBSCRIBE packet (MQTT 3.1.1 §3.10, MQTT 5 §3.10).
//
// Ownership: owns filters and properties. Thread safety: a value type.
#pragma once

#include <vector>

#include "broker/protocol/packet_id.hpp"
#include "broker/protocol/topic_filter.hpp"
#include "core/message.hpp"

namespace gw::broker::protocol {

// MQTT 5 §3.10.2.1 UNSUBSCRIBE properties.
struct UnsubscribeProps {
  std::vector<UserProperty> user;
  friend bool operator==(const UnsubscribeProps&, const UnsubscribeProps&) = default;
};

struct Unsubscribe {
  PacketId packet_id{};             // never 0 on the wire
  std::vector<TopicFilter> filters;  // at least one on the wire
  UnsubscribeProps props;            // MQTT 5 only
  friend bool operator==(const Unsubscribe&, const Unsubscribe&) = default;
};

}  // namespace gw::broker::protocol

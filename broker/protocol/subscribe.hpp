// Subscribe: the SUBSCRIBE packet (MQTT 3.1.1 §3.8, MQTT 5 §3.8).
//
// In MQTT 3.1.1 only SubscriptionOptions::max_qos exists; the other options and the props are
// not written, and decoding yields their defaults.
//
// Ownership: owns filters and properties. Thread safety: a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "broker/protocol/packet_id.hpp"
#include "broker/protocol/topic_filter.hpp"
#include "core/message.hpp"

namespace gw::broker::protocol {

// MQTT 5 §3.8.3.1 Retain Handling; 3 is a Protocol Error on the wire.
enum class RetainHandling : std::uint8_t {
  SendOnSubscribe = 0,
  SendOnNewSubscribe = 1,
  DoNotSend = 2,
};

// MQTT 5 §3.8.3.1 Subscription Options.
struct SubscriptionOptions {
  QoS max_qos = QoS::AtMostOnce;
  bool no_local = false;             // MQTT 5 only; never on a shared subscription
  bool retain_as_published = false;  // MQTT 5 only
  RetainHandling retain_handling = RetainHandling::SendOnSubscribe;  // MQTT 5 only
  friend bool operator==(const SubscriptionOptions&, const SubscriptionOptions&) = default;
};

struct Subscription {
  TopicFilter filter;
  SubscriptionOptions options;
  friend bool operator==(const Subscription&, const Subscription&) = default;
};

// MQTT 5 §3.8.2.1 SUBSCRIBE properties.
struct SubscribeProps {
  std::optional<std::uint32_t> subscription_id;  // 1..268,435,455
  std::vector<UserProperty> user;
  friend bool operator==(const SubscribeProps&, const SubscribeProps&) = default;
};

struct Subscribe {
  PacketId packet_id{};  // never 0 on the wire
  std::vector<Subscription> subscriptions;  // at least one on the wire
  SubscribeProps props;  // MQTT 5 only
  friend bool operator==(const Subscribe&, const Subscribe&) = default;
};

}  // namespace gw::broker::protocol

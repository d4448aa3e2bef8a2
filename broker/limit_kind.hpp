// broker::LimitKind: the limits the broker enforces against misbehaving or hostile clients
// (BrokerOptions, "Limits"), as counted in BrokerStats::limit_hits and named in logs and metrics.
//
// Thread safety: a value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gw::broker {

enum class LimitKind : std::uint8_t {
  Connections,          // max_connections over all listeners: the TCP connection is refused
  ListenerConnections,  // listeners[].max_connections: the TCP connection is refused
  ConnectRate,          // max_connect_rate for one source address: CONNACK 0x9F / 3
  Subscriptions,        // max_subscriptions_per_client: SUBACK 0x97 / 0x80 for that filter
  TopicLength,          // max_topic_length: PUBLISH, will topic or filter refused
  TopicLevels,          // max_topic_levels: likewise
  QueuedMessages,       // max_queued_messages: a queued message dropped
  QueuedBytes,          // max_queued_bytes: a queued or QoS 0 message dropped
};
inline constexpr std::size_t kLimitKinds = 8;

// The name used in logs and as the Prometheus label ("connect_rate").
constexpr std::string_view to_string(LimitKind kind) {
  switch (kind) {
    case LimitKind::Connections: return "connections";
    case LimitKind::ListenerConnections: return "listener_connections";
    case LimitKind::ConnectRate: return "connect_rate";
    case LimitKind::Subscriptions: return "subscriptions";
    case LimitKind::TopicLength: return "topic_length";
    case LimitKind::TopicLevels: return "topic_levels";
    case LimitKind::QueuedMessages: return "queued_messages";
    case LimitKind::QueuedBytes: return "queued_bytes";
  }
  return "unknown";
}

}  // namespace gw::broker

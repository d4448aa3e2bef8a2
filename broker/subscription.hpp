// broker::Subscription vocabulary: who subscribed (SubscriberId), with which MQTT 5 options
// (SubscriptionOptions), and what a topic match yields (Match).
//
// Ownership: value types. Match::share_group borrows the TopicTree's storage (see Match).
// Thread safety: value types; the TopicTree that hands out Matches is core thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "broker/protocol/subscribe.hpp"
#include "core/message.hpp"

namespace gw::broker {

// Opaque key of a subscriber in the TopicTree: one per MQTT session (a client id), assigned by the
// session layer. The tree only compares and hashes it.
enum class SubscriberId : std::uint64_t {};

// MQTT 5 §3.8.3.1 Retain Handling: the codec's wire enum, so that the session copies it over.
using protocol::RetainHandling;

// MQTT 5 §3.8.3.1 Subscription Options plus the §3.8.2.1.2 Subscription Identifier, as granted by
// the broker (max_qos is the granted QoS, possibly lower than requested). The codec's
// protocol::SubscriptionOptions carries the same options without the identifier, which travels
// as a SUBSCRIBE property; the tree needs both per subscription.
struct SubscriptionOptions {
  QoS max_qos = QoS::AtMostOnce;
  // [MQTT-3.8.3-3]: messages must not be forwarded to a connection with a ClientID equal to the
  // ClientID of the publishing connection. Applied by the caller (see SubscriptionAggregator).
  bool no_local = false;
  // MQTT 5 §3.8.3.1: keep the RETAIN flag of forwarded messages as published (else cleared).
  bool retain_as_published = false;
  RetainHandling retain_handling = RetainHandling::SendOnSubscribe;
  // 1..268'435'455 when present (MQTT 5 §3.8.2.1.2); the codec rejects 0.
  std::optional<std::uint32_t> subscription_id;

  friend bool operator==(const SubscriptionOptions&, const SubscriptionOptions&) = default;
};

// The options the tree stores for one subscription of a SUBSCRIBE packet: `granted` with max_qos
// already lowered to what the broker grants, and the packet's Subscription Identifier.
[[nodiscard]] inline SubscriptionOptions make_subscription_options(
    const protocol::SubscriptionOptions& granted, std::optional<std::uint32_t> subscription_id) {
  return SubscriptionOptions{granted.max_qos, granted.no_local, granted.retain_as_published,
                             granted.retain_handling, subscription_id};
}

// One subscription that matched a topic, as yielded by TopicTree::match.
struct Match {
  SubscriberId subscriber{};
  SubscriptionOptions options;
  // The share group name for a shared subscription ($share/{group}/{filter}, MQTT 5 §4.8.2),
  // empty for a non-shared one (an empty group name is not a valid share name). Views the tree's
  // storage: valid until the tree is next modified; copy it to keep it.
  std::string_view share_group;

  [[nodiscard]] bool shared() const noexcept { return !share_group.empty(); }
};

}  // namespace gw::broker

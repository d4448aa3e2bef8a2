// Internal to the codec: MQTT 5 properties (MQTT 5 §2.2.2). One generic reader enforces the
// rules common to every packet (identifier valid for the packet, no repeats, value ranges), and
// hands each property to a per-packet callback that stores it in that packet's typed fields.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/protocol/ack_props.hpp"
#include "broker/protocol/detail/wire.hpp"
#include "core/message.hpp"

namespace gw::broker::protocol::detail {

// MQTT 5 §2.2.2.2 property identifiers.
enum class PropertyId : std::uint8_t {
  PayloadFormatIndicator = 0x01,
  MessageExpiryInterval = 0x02,
  ContentType = 0x03,
  ResponseTopic = 0x08,
  CorrelationData = 0x09,
  SubscriptionIdentifier = 0x0B,
  SessionExpiryInterval = 0x11,
  AssignedClientIdentifier = 0x12,
  ServerKeepAlive = 0x13,
  AuthenticationMethod = 0x15,
  AuthenticationData = 0x16,
  RequestProblemInformation = 0x17,
  WillDelayInterval = 0x18,
  RequestResponseInformation = 0x19,
  ResponseInformation = 0x1A,
  ServerReference = 0x1C,
  ReasonString = 0x1F,
  ReceiveMaximum = 0x21,
  TopicAliasMaximum = 0x22,
  TopicAlias = 0x23,
  MaximumQoS = 0x24,
  RetainAvailable = 0x25,
  UserProperty = 0x26,
  MaximumPacketSize = 0x27,
  WildcardSubscriptionAvailable = 0x28,
  SubscriptionIdentifierAvailable = 0x29,
  SharedSubscriptionAvailable = 0x2A,
};

// A set of property identifiers, one bit per identifier (all are below 64).
using PropertySet = std::uint64_t;

[[nodiscard]] constexpr PropertySet bit(PropertyId id) noexcept {
  return PropertySet{1} << static_cast<unsigned>(id);
}
template <class... Ids>
[[nodiscard]] constexpr PropertySet set_of(Ids... ids) noexcept {
  return (bit(ids) | ...);
}

// One decoded property. Views point into the packet being decoded.
struct RawProperty {
  PropertyId id{};
  std::uint32_t number = 0;   // Byte, Two/Four Byte Integer, Variable Byte Integer
  std::string_view text;      // UTF-8 string or binary data; name of a User Property
  std::string_view text2;     // value of a User Property
};

// Reads a Property Length and the properties it covers, calling `store(const RawProperty&)`
// (which returns Result<void>) for each one. `repeatable` lists the identifiers, besides User
// Property, that may appear more than once (Subscription Identifier in PUBLISH).
// Errors: MalformedPacket (MQTT 5 §2.2.2.2: an identifier not valid for the packet; truncated or
// over-long values; invalid UTF-8), ProtocolError (a repeated property, or a value the spec
// forbids), whatever `store` returns.
Result<void> read_property(Reader& r, PropertySet allowed, PropertySet& seen,
                           PropertySet repeatable, RawProperty& out) noexcept;

template <class Store>
Result<void> read_properties(Reader& r, PropertySet allowed, Store&& store,
                             PropertySet repeatable = 0) {
  GW_TRY(length, r.vbi());
  GW_TRY(props, r.sub(length));
  PropertySet seen = 0;
  RawProperty p;
  while (!props.empty()) {
    GW_TRY_VOID(read_property(props, allowed, seen, repeatable, p));
    GW_TRY_VOID(store(p));
  }
  // MQTT 5 §3.1.2.11.10, §3.2.2.3.18, §3.15.2.2.3: Authentication Data without an
  // Authentication Method is a Protocol Error.
  if ((seen & bit(PropertyId::AuthenticationData)) != 0 &&
      (seen & bit(PropertyId::AuthenticationMethod)) == 0) {
    return fail(MqttErrc::ProtocolError);
  }
  return {};
}

// Stores a property that is one of gw::MessageProps' fields (PUBLISH and will). Returns false
// when `p` is not one of them.
// Errors: ProtocolError for a Response Topic that is not a valid Topic Name
// (MQTT 5 §3.3.2.3.5 [MQTT-3.3.2-14]).
Result<bool> store_message_prop(const RawProperty& p, MessageProps& props);

// Writers. put_properties writes the Property Length and then the properties `body(Writer&)`
// writes, running `body` twice (once to count): no temporary buffer.
template <class Body>
void put_properties(Writer& w, Body&& body) {
  Writer count;
  body(count);
  w.vbi(static_cast<std::uint32_t>(count.size()));
  body(w);
}

inline void put_u8(Writer& w, PropertyId id, const std::optional<std::uint8_t>& v) {
  if (!v) return;
  w.u8(static_cast<std::uint8_t>(id));
  w.u8(*v);
}
inline void put_bool(Writer& w, PropertyId id, const std::optional<bool>& v) {
  if (v) put_u8(w, id, static_cast<std::uint8_t>(*v ? 1 : 0));
}
inline void put_u16(Writer& w, PropertyId id, const std::optional<std::uint16_t>& v) {
  if (!v) return;
  w.u8(static_cast<std::uint8_t>(id));
  w.u16(*v);
}
inline void put_u32(Writer& w, PropertyId id, const std::optional<std::uint32_t>& v) {
  if (!v) return;
  w.u8(static_cast<std::uint8_t>(id));
  w.u32(*v);
}
inline void put_vbi(Writer& w, PropertyId id, std::uint32_t v) {
  w.u8(static_cast<std::uint8_t>(id));
  w.vbi(v);
}
inline void put_str(Writer& w, PropertyId id, const std::optional<std::string>& v) {
  if (!v) return;
  w.u8(static_cast<std::uint8_t>(id));
  w.str(*v);
}
inline void put_user(Writer& w, const std::vector<UserProperty>& user) {
  for (const auto& u : user) {
    w.u8(static_cast<std::uint8_t>(PropertyId::UserProperty));
    w.str(u.name);
    w.str(u.value);
  }
}
// The gw::MessageProps fields, shared by PUBLISH and the will; `message_expiry` is written in
// place of props.message_expiry (a forwarded message carries what is left of its interval).
void put_message_props(Writer& w, const MessageProps& props,
                       std::optional<std::uint32_t> message_expiry);
inline void put_message_props(Writer& w, const MessageProps& props) {
  put_message_props(w, props, props.message_expiry);
}

// The acknowledgements' properties (AckProps): MQTT 5 §3.4.2.2, §3.9.2.1, §3.11.2.1.
inline constexpr PropertySet kAckProps = set_of(PropertyId::ReasonString, PropertyId::UserProperty);
Result<void> store_ack_prop(const RawProperty& p, AckProps& props);
// Property Length and properties, always (SUBACK and UNSUBACK cannot omit them).
void put_ack_props(Writer& w, const AckProps& props);
[[nodiscard]] inline bool empty(const AckProps& props) noexcept {
  return !props.reason_string && props.user.empty();
}

}  // namespace gw::broker::protocol::detail

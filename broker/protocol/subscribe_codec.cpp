// SUBSCRIBE and SUBACK bodies (MQTT 3.1.1 §3.8-3.9, MQTT 5 §3.8-3.9).
#include "broker/protocol/detail/codecs.hpp"
#include "broker/protocol/detail/properties.hpp"

namespace gw::broker::protocol::detail {
namespace {

constexpr PropertySet kSubscribeProps =
    set_of(PropertyId::SubscriptionIdentifier, PropertyId::UserProperty);

constexpr std::array kSubackReasons{
    SubackReason::GrantedQoS0,
    SubackReason::GrantedQoS1,
    SubackReason::GrantedQoS2,
    SubackReason::UnspecifiedError,
    SubackReason::ImplementationSpecificError,
    SubackReason::NotAuthorized,
    SubackReason::TopicFilterInvalid,
    SubackReason::PacketIdentifierInUse,
    SubackReason::QuotaExceeded,
    SubackReason::SharedSubscriptionsNotSupported,
    SubackReason::SubscriptionIdentifiersNotSupported,
    SubackReason::WildcardSubscriptionsNotSupported,
};
// MQTT 3.1.1 §3.9.3: 0x00, 0x01, 0x02 and 0x80 only.
constexpr std::array kSubackReasons311{SubackReason::GrantedQoS0, SubackReason::GrantedQoS1,
                                       SubackReason::GrantedQoS2, SubackReason::UnspecifiedError};

Result<void> store_subscribe_prop(const RawProperty& p, SubscribeProps& props) {
  switch (p.id) {
    case PropertyId::SubscriptionIdentifier: props.subscription_id = p.number; break;
    case PropertyId::UserProperty:
      props.user.push_back(UserProperty{std::string(p.text), std::string(p.text2)});
      break;
    default: return fail(MqttErrc::MalformedPacket);  // unreachable: filtered by kSubscribeProps
  }
  return {};
}

std::uint8_t options_byte(const SubscriptionOptions& o, ProtocolVersion v) {
  auto b = static_cast<std::uint8_t>(o.max_qos);
  if (v == ProtocolVersion::V5) {
    if (o.no_local) b |= 0x04;
    if (o.retain_as_published) b |= 0x08;
    b |= static_cast<std::uint8_t>(static_cast<unsigned>(o.retain_handling) << 4);
  }
  return b;
}

Result<SubscriptionOptions> read_options(Reader& r, ProtocolVersion v) {
  GW_TRY(b, r.u8());
  SubscriptionOptions o;
  const unsigned qos = b & 0x03;
  if (v == ProtocolVersion::V311) {
    // MQTT 3.1.1 §3.8.3.1 [MQTT-3-8.3-4]: reserved bits non-zero or QoS 3 is malformed.
    if ((b & 0xFC) != 0 || qos == 3) return fail(MqttErrc::MalformedPacket);
  } else {
    // MQTT 5 §3.8.3.1 [MQTT-3.8.3-5]: bits 6 and 7 are reserved, non-zero is Malformed.
    if ((b & 0xC0) != 0) return fail(MqttErrc::MalformedPacket);
    // MQTT 5 §3.8.3.1: "It is a Protocol Error if the Maximum QoS field has the value 3."
    if (qos == 3) return fail(MqttErrc::ProtocolError);
    const unsigned rh = (b >> 4) & 0x03;
    // MQTT 5 §3.8.3.1: "It is a Protocol Error to send a Retain Handling value of 3."
    if (rh == 3) return fail(MqttErrc::ProtocolError);
    o.no_local = (b & 0x04) != 0;
    o.retain_as_published = (b & 0x08) != 0;
    o.retain_handling = static_cast<RetainHandling>(rh);
  }
  o.max_qos = static_cast<QoS>(qos);
  return o;
}

}  // namespace

void write_body(Writer& w, const Subscribe& p, ProtocolVersion v) {
  w.u16(static_cast<std::uint16_t>(p.packet_id));
  if (v == ProtocolVersion::V5) {
    put_properties(w, [&p](Writer& x) {
      if (p.props.subscription_id) {
        put_vbi(x, PropertyId::SubscriptionIdentifier, *p.props.subscription_id);
      }
      put_user(x, p.props.user);
    });
  }
  for (const auto& s : p.subscriptions) {
    w.str(s.filter.str());
    w.u8(options_byte(s.options, v));
  }
}

Result<Packet> read_subscribe(Reader& r, ProtocolVersion v) {
  Subscribe s;
  GW_TRY(id, read_packet_id(r));
  s.packet_id = id;
  if (v == ProtocolVersion::V5) {
    GW_TRY_VOID(read_properties(
        r, kSubscribeProps, [&s](const RawProperty& p) { return store_subscribe_prop(p, s.props); }));
  }
  while (!r.empty()) {
    // MQTT 5 §3.8.3 [MQTT-3.8.3-1]: each Topic Filter is a UTF-8 Encoded String.
    GW_TRY(text, r.utf8());
    // MQTT 5 §4.7, §4.8.2: a filter that breaks the wildcard or shared-subscription rules is
    // reported as Topic Filter Invalid (0x8F); the whole packet is refused, since a typed
    // TopicFilter cannot hold an invalid one.
    auto filter = TopicFilter::make(std::string(text));
    if (!filter) return fail(filter.error());
    GW_TRY(options, read_options(r, v));
    // MQTT 5 §3.8.3.1 [MQTT-3.8.3-4]: No Local on a Shared Subscription is a Protocol Error.
    if (options.no_local && filter->is_shared()) return fail(MqttErrc::ProtocolError);
    s.subscriptions.push_back(Subscription{std::move(*filter), options});
  }
  // MQTT 5 §3.8.3 [MQTT-3.8.3-2] (3.1.1 [MQTT-3.8.3-3]): at least one Topic Filter; "A SUBSCRIBE
  // packet with no Payload is a Protocol Error".
  if (s.subscriptions.empty()) return fail(MqttErrc::ProtocolError);
  return Packet(std::move(s));
}

void write_body(Writer& w, const Suback& p, ProtocolVersion v) {
  w.u16(static_cast<std::uint16_t>(p.packet_id));
  if (v == ProtocolVersion::V5) put_ack_props(w, p.props);
  for (const auto reason : p.reasons) {
    auto code = static_cast<std::uint8_t>(reason);
    // MQTT 3.1.1 §3.9.3: one failure code, 0x80.
    if (v == ProtocolVersion::V311 && code >= 0x80) code = 0x80;
    w.u8(code);
  }
}

Result<Packet> read_suback(Reader& r, ProtocolVersion v) {
  Suback s;
  GW_TRY(id, read_packet_id(r));
  s.packet_id = id;
  if (v == ProtocolVersion::V5) {
    GW_TRY_VOID(read_properties(
        r, kAckProps, [&s](const RawProperty& p) { return store_ack_prop(p, s.props); }));
  }
  while (!r.empty()) {
    GW_TRY(code, r.u8());
    const bool known = v == ProtocolVersion::V5 ? is_one_of(code, kSubackReasons)
                                                : is_one_of(code, kSubackReasons311);
    // MQTT 3.1.1 §3.9.3 [MQTT-3.9.3-2]: other codes are reserved. MQTT 5 §3.9.3 lists the only
    // valid codes. Either way the peer broke the protocol.
    if (!known) return fail(MqttErrc::ProtocolError);
    s.reasons.push_back(static_cast<SubackReason>(code));
  }
  // MQTT 5 §3.9.3: one Reason Code per Topic Filter of the SUBSCRIBE, which had at least one.
  if (s.reasons.empty()) return fail(MqttErrc::ProtocolError);
  return Packet(std::move(s));
}

}  // namespace gw::broker::protocol::detail

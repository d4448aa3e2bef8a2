// MQTT 5 property reading common to all packets (MQTT 5 §2.2.2).
#include "broker/protocol/detail/properties.hpp"

#include "broker/protocol/topic_name.hpp"

namespace gw::broker::protocol::detail {
namespace {

enum class Kind { Byte, TwoByte, FourByte, Vbi, Utf8, Binary, Pair, Unknown };

constexpr Kind kind_of(std::uint8_t id) noexcept {
  switch (static_cast<PropertyId>(id)) {
    case PropertyId::PayloadFormatIndicator:
    case PropertyId::RequestProblemInformation:
    case PropertyId::RequestResponseInformation:
    case PropertyId::MaximumQoS:
    case PropertyId::RetainAvailable:
    case PropertyId::WildcardSubscriptionAvailable:
    case PropertyId::SubscriptionIdentifierAvailable:
    case PropertyId::SharedSubscriptionAvailable:
      return Kind::Byte;
    case PropertyId::ServerKeepAlive:
    case PropertyId::ReceiveMaximum:
    case PropertyId::TopicAliasMaximum:
    case PropertyId::TopicAlias:
      return Kind::TwoByte;
    case PropertyId::MessageExpiryInterval:
    case PropertyId::SessionExpiryInterval:
    case PropertyId::WillDelayInterval:
    case PropertyId::MaximumPacketSize:
      return Kind::FourByte;
    case PropertyId::SubscriptionIdentifier:
      return Kind::Vbi;
    case PropertyId::ContentType:
    case PropertyId::ResponseTopic:
    case PropertyId::AssignedClientIdentifier:
    case PropertyId::AuthenticationMethod:
    case PropertyId::ResponseInformation:
    case PropertyId::ServerReference:
    case PropertyId::ReasonString:
      return Kind::Utf8;
    case PropertyId::CorrelationData:
    case PropertyId::AuthenticationData:
      return Kind::Binary;
    case PropertyId::UserProperty:
      return Kind::Pair;
  }
  return Kind::Unknown;
}

// Value rules the spec states for the property itself, whatever packet carries it.
Result<void> check_value(const RawProperty& p) noexcept {
  switch (p.id) {
    // MQTT 5 §3.3.2.3.2 Payload Format Indicator: 0 or 1.
    case PropertyId::PayloadFormatIndicator:
    // MQTT 5 §3.1.2.11.7 / §3.1.2.11.6: "It is a Protocol Error to include ... Request Problem
    // Information / Request Response Information ... with a value other than 0 or 1."
    case PropertyId::RequestProblemInformation:
    case PropertyId::RequestResponseInformation:
    // MQTT 5 §3.2.2.3.4 Maximum QoS: "a value other than 0 or 1" is a Protocol Error.
    case PropertyId::MaximumQoS:
    // MQTT 5 §3.2.2.3.5, §3.2.2.3.11-13: the "available" flags are 0 or 1.
    case PropertyId::RetainAvailable:
    case PropertyId::WildcardSubscriptionAvailable:
    case PropertyId::SubscriptionIdentifierAvailable:
    case PropertyId::SharedSubscriptionAvailable:
      if (p.number > 1) return fail(MqttErrc::ProtocolError);
      return {};
    // MQTT 5 §3.1.2.11.3 / §3.2.2.3.3: "It is a Protocol Error to include the Receive Maximum
    // value more than once or for it to have the value 0."
    case PropertyId::ReceiveMaximum:
    // MQTT 5 §3.1.2.11.4 / §3.2.2.3.6: Maximum Packet Size 0 is a Protocol Error.
    case PropertyId::MaximumPacketSize:
    // MQTT 5 §3.3.2.3.4 [MQTT-3.3.2-8]: a Topic Alias of 0 is not permitted (Protocol Error).
    case PropertyId::TopicAlias:
    // MQTT 5 §3.3.2.3.8 / §3.8.2.1.2: a Subscription Identifier of 0 is a Protocol Error.
    case PropertyId::SubscriptionIdentifier:
      if (p.number == 0) return fail(MqttErrc::ProtocolError);
      return {};
    default:
      return {};
  }
}

}  // namespace

Result<void> read_property(Reader& r, PropertySet allowed, PropertySet& seen,
                           PropertySet repeatable, RawProperty& out) noexcept {
  // The identifier is a Variable Byte Integer, but every defined one fits a single byte; a byte
  // with the continuation bit set is no defined identifier and is refused below.
  GW_TRY(id, r.u8());
  const Kind kind = kind_of(id);
  // MQTT 5 §2.2.2.2: "A Control Packet which contains an Identifier which is not valid for its
  // packet type ... is a Malformed Packet."
  if (kind == Kind::Unknown || id >= 64 || (allowed & (PropertySet{1} << id)) == 0) {
    return fail(MqttErrc::MalformedPacket);
  }
  out.id = static_cast<PropertyId>(id);
  const PropertySet b = PropertySet{1} << id;
  // MQTT 5 §2.2.2.2 and each property's text: "It is a Protocol Error to include ... more than
  // once", except User Property (§3.1.2.11.8 and others) and the Subscription Identifiers of a
  // PUBLISH (§3.3.2.3.8).
  if ((seen & b) != 0 && out.id != PropertyId::UserProperty && (repeatable & b) == 0) {
    return fail(MqttErrc::ProtocolError);
  }
  seen |= b;
  out.number = 0;
  out.text = {};
  out.text2 = {};
  switch (kind) {
    case Kind::Byte: {
      GW_TRY(v, r.u8());
      out.number = v;
      break;
    }
    case Kind::TwoByte: {
      GW_TRY(v, r.u16());
      out.number = v;
      break;
    }
    case Kind::FourByte: {
      GW_TRY(v, r.u32());
      out.number = v;
      break;
    }
    case Kind::Vbi: {
      GW_TRY(v, r.vbi());
      out.number = v;
      break;
    }
    case Kind::Utf8: {
      GW_TRY(v, r.utf8());
      out.text = v;
      break;
    }
    case Kind::Binary: {
      GW_TRY(v, r.binary());
      out.text = v;
      break;
    }
    case Kind::Pair: {
      GW_TRY(name, r.utf8());
      GW_TRY(value, r.utf8());
      out.text = name;
      out.text2 = value;
      break;
    }
    case Kind::Unknown:
      return fail(MqttErrc::MalformedPacket);
  }
  return check_value(out);
}

Result<bool> store_message_prop(const RawProperty& p, MessageProps& props) {
  switch (p.id) {
    case PropertyId::PayloadFormatIndicator:
      props.payload_format = static_cast<PayloadFormat>(p.number);
      return true;
    case PropertyId::MessageExpiryInterval:
      props.message_expiry = p.number;
      return true;
    case PropertyId::ContentType:
      props.content_type = std::string(p.text);
      return true;
    case PropertyId::ResponseTopic: {
      // MQTT 5 §3.3.2.3.5 [MQTT-3.3.2-13], [MQTT-3.3.2-14]: the Response Topic is a Topic Name
      // (no wildcards, not empty).
      if (!TopicName::make(std::string(p.text))) return fail(MqttErrc::ProtocolError);
      props.response_topic = std::string(p.text);
      return true;
    }
    case PropertyId::CorrelationData:
      props.correlation_data = std::string(p.text);
      return true;
    case PropertyId::UserProperty:
      props.user.push_back(UserProperty{std::string(p.text), std::string(p.text2)});
      return true;
    default:
      return false;
  }
}

void put_message_props(Writer& w, const MessageProps& props,
                       std::optional<std::uint32_t> message_expiry) {
  if (props.payload_format) {
    put_u8(w, PropertyId::PayloadFormatIndicator, static_cast<std::uint8_t>(*props.payload_format));
  }
  put_u32(w, PropertyId::MessageExpiryInterval, message_expiry);
  put_str(w, PropertyId::ContentType, props.content_type);
  put_str(w, PropertyId::ResponseTopic, props.response_topic);
  put_str(w, PropertyId::CorrelationData, props.correlation_data);
  put_user(w, props.user);
}

}  // namespace gw::broker::protocol::detail

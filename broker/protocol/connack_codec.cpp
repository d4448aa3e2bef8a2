// CONNACK body (MQTT 3.1.1 §3.2, MQTT 5 §3.2).
#include "broker/protocol/detail/codecs.hpp"
#include "broker/protocol/detail/properties.hpp"

namespace gw::broker::protocol {

ConnackReturnCode311 to_v311_return_code(ConnackReason reason) noexcept {
  switch (reason) {
    case ConnackReason::Success: return ConnackReturnCode311::Accepted;
    case ConnackReason::UnsupportedProtocolVersion:
      return ConnackReturnCode311::UnacceptableProtocolVersion;
    case ConnackReason::ClientIdentifierNotValid: return ConnackReturnCode311::IdentifierRejected;
    case ConnackReason::BadUserNameOrPassword: return ConnackReturnCode311::BadUserNameOrPassword;
    case ConnackReason::NotAuthorized:
    case ConnackReason::Banned:
    case ConnackReason::BadAuthenticationMethod:
      return ConnackReturnCode311::NotAuthorized;
    default: return ConnackReturnCode311::ServerUnavailable;
  }
}

ConnackReason from_v311_return_code(ConnackReturnCode311 code) noexcept {
  switch (code) {
    case ConnackReturnCode311::Accepted: return ConnackReason::Success;
    case ConnackReturnCode311::UnacceptableProtocolVersion:
      return ConnackReason::UnsupportedProtocolVersion;
    case ConnackReturnCode311::IdentifierRejected: return ConnackReason::ClientIdentifierNotValid;
    case ConnackReturnCode311::ServerUnavailable: return ConnackReason::ServerUnavailable;
    case ConnackReturnCode311::BadUserNameOrPassword: return ConnackReason::BadUserNameOrPassword;
    case ConnackReturnCode311::NotAuthorized: return ConnackReason::NotAuthorized;
  }
  return ConnackReason::ServerUnavailable;
}

namespace detail {
namespace {

constexpr std::array kConnackReasons{
    ConnackReason::Success,
    ConnackReason::UnspecifiedError,
    ConnackReason::MalformedPacket,
    ConnackReason::ProtocolError,
    ConnackReason::ImplementationSpecificError,
    ConnackReason::UnsupportedProtocolVersion,
    ConnackReason::ClientIdentifierNotValid,
    ConnackReason::BadUserNameOrPassword,
    ConnackReason::NotAuthorized,
    ConnackReason::ServerUnavailable,
    ConnackReason::ServerBusy,
    ConnackReason::Banned,
    ConnackReason::BadAuthenticationMethod,
    ConnackReason::TopicNameInvalid,
    ConnackReason::PacketTooLarge,
    ConnackReason::QuotaExceeded,
    ConnackReason::PayloadFormatInvalid,
    ConnackReason::RetainNotSupported,
    ConnackReason::QosNotSupported,
    ConnackReason::UseAnotherServer,
    ConnackReason::ServerMoved,
    ConnackReason::ConnectionRateExceeded,
};

constexpr PropertySet kConnackProps = set_of(
    PropertyId::SessionExpiryInterval, PropertyId::ReceiveMaximum, PropertyId::MaximumQoS,
    PropertyId::RetainAvailable, PropertyId::MaximumPacketSize,
    PropertyId::AssignedClientIdentifier, PropertyId::TopicAliasMaximum, PropertyId::ReasonString,
    PropertyId::UserProperty, PropertyId::WildcardSubscriptionAvailable,
    PropertyId::SubscriptionIdentifierAvailable, PropertyId::SharedSubscriptionAvailable,
    PropertyId::ServerKeepAlive, PropertyId::ResponseInformation, PropertyId::ServerReference,
    PropertyId::AuthenticationMethod, PropertyId::AuthenticationData);

Result<void> store_connack_prop(const RawProperty& p, ConnackProps& props) {
  const auto u16 = static_cast<std::uint16_t>(p.number);
  switch (p.id) {
    case PropertyId::SessionExpiryInterval: props.session_expiry = p.number; break;
    case PropertyId::ReceiveMaximum: props.receive_maximum = u16; break;
    case PropertyId::MaximumQoS: props.maximum_qos = static_cast<QoS>(p.number); break;
    case PropertyId::RetainAvailable: props.retain_available = p.number == 1; break;
    case PropertyId::MaximumPacketSize: props.maximum_packet_size = p.number; break;
    case PropertyId::AssignedClientIdentifier: props.assigned_client_id = std::string(p.text); break;
    case PropertyId::TopicAliasMaximum: props.topic_alias_maximum = u16; break;
    case PropertyId::ReasonString: props.reason_string = std::string(p.text); break;
    case PropertyId::UserProperty:
      props.user.push_back(UserProperty{std::string(p.text), std::string(p.text2)});
      break;
    case PropertyId::WildcardSubscriptionAvailable:
      props.wildcard_subscription_available = p.number == 1;
      break;
    case PropertyId::SubscriptionIdentifierAvailable:
      props.subscription_identifiers_available = p.number == 1;
      break;
    case PropertyId::SharedSubscriptionAvailable:
      props.shared_subscription_available = p.number == 1;
      break;
    case PropertyId::ServerKeepAlive: props.server_keep_alive = u16; break;
    case PropertyId::ResponseInformation: props.response_information = std::string(p.text); break;
    case PropertyId::ServerReference: props.server_reference = std::string(p.text); break;
    case PropertyId::AuthenticationMethod: props.authentication_method = std::string(p.text); break;
    case PropertyId::AuthenticationData: props.authentication_data = std::string(p.text); break;
    default: return fail(MqttErrc::MalformedPacket);  // unreachable: filtered by kConnackProps
  }
  return {};
}

}  // namespace

void write_body(Writer& w, const Connack& p, ProtocolVersion v) {
  w.u8(p.session_present ? 1 : 0);
  if (v == ProtocolVersion::V311) {
    w.u8(static_cast<std::uint8_t>(to_v311_return_code(p.reason)));
    return;
  }
  w.u8(static_cast<std::uint8_t>(p.reason));
  put_properties(w, [&p](Writer& x) {
    const auto& s = p.props;
    put_u32(x, PropertyId::SessionExpiryInterval, s.session_expiry);
    put_u16(x, PropertyId::ReceiveMaximum, s.receive_maximum);
    if (s.maximum_qos) {
      put_u8(x, PropertyId::MaximumQoS, static_cast<std::uint8_t>(*s.maximum_qos));
    }
    put_bool(x, PropertyId::RetainAvailable, s.retain_available);
    put_u32(x, PropertyId::MaximumPacketSize, s.maximum_packet_size);
    put_str(x, PropertyId::AssignedClientIdentifier, s.assigned_client_id);
    put_u16(x, PropertyId::TopicAliasMaximum, s.topic_alias_maximum);
    put_str(x, PropertyId::ReasonString, s.reason_string);
    put_user(x, s.user);
    put_bool(x, PropertyId::WildcardSubscriptionAvailable, s.wildcard_subscription_available);
    put_bool(x, PropertyId::SubscriptionIdentifierAvailable, s.subscription_identifiers_available);
    put_bool(x, PropertyId::SharedSubscriptionAvailable, s.shared_subscription_available);
    put_u16(x, PropertyId::ServerKeepAlive, s.server_keep_alive);
    put_str(x, PropertyId::ResponseInformation, s.response_information);
    put_str(x, PropertyId::ServerReference, s.server_reference);
    put_str(x, PropertyId::AuthenticationMethod, s.authentication_method);
    put_str(x, PropertyId::AuthenticationData, s.authentication_data);
  });
}

Result<Packet> read_connack(Reader& r, ProtocolVersion v) {
  Connack c;
  GW_TRY(flags, r.u8());
  // MQTT 5 §3.2.2.1 [MQTT-3.2.2-1] (3.1.1 likewise): bits 7-1 of the flags are reserved, 0.
  if ((flags & 0xFE) != 0) return fail(MqttErrc::MalformedPacket);
  c.session_present = (flags & 0x01) != 0;
  GW_TRY(code, r.u8());
  if (v == ProtocolVersion::V311) {
    // MQTT 3.1.1 §3.2.2.3: return codes 6-255 are reserved.
    if (code > 5) return fail(MqttErrc::ProtocolError);
    c.reason = from_v311_return_code(static_cast<ConnackReturnCode311>(code));
  } else {
    if (!is_one_of(code, kConnackReasons)) return fail(MqttErrc::ProtocolError);
    c.reason = static_cast<ConnackReason>(code);
    GW_TRY_VOID(read_properties(r, kConnackProps,
                                [&c](const RawProperty& p) { return store_connack_prop(p, c.props); }));
  }
  // MQTT 5 §3.2.2.1.1 [MQTT-3.2.2-6], MQTT 3.1.1 [MQTT-3.2.2-4]: a refused connection has
  // Session Present 0.
  if (c.reason != ConnackReason::Success && c.session_present) {
    return fail(MqttErrc::ProtocolError);
  }
  GW_TRY_VOID(expect_end(r));
  return Packet(std::move(c));
}

}  // namespace detail
}  // namespace gw::broker::protocol

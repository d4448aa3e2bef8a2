// DISCONNECT and AUTH bodies (MQTT 3.1.1 §3.14, MQTT 5 §3.14-3.15).
#include "broker/protocol/detail/codecs.hpp"
#include "broker/protocol/detail/properties.hpp"

namespace gw::broker::protocol::detail {
namespace {

constexpr std::array kDisconnectReasons{
    DisconnectReason::NormalDisconnection,
    DisconnectReason::DisconnectWithWillMessage,
    DisconnectReason::UnspecifiedError,
    DisconnectReason::MalformedPacket,
    DisconnectReason::ProtocolError,
    DisconnectReason::ImplementationSpecificError,
    DisconnectReason::NotAuthorized,
    DisconnectReason::ServerBusy,
    DisconnectReason::ServerShuttingDown,
    DisconnectReason::BadAuthenticationMethod,
    DisconnectReason::KeepAliveTimeout,
    DisconnectReason::SessionTakenOver,
    DisconnectReason::TopicFilterInvalid,
    DisconnectReason::TopicNameInvalid,
    DisconnectReason::ReceiveMaximumExceeded,
    DisconnectReason::TopicAliasInvalid,
    DisconnectReason::PacketTooLarge,
    DisconnectReason::MessageRateTooHigh,
    DisconnectReason::QuotaExceeded,
    DisconnectReason::AdministrativeAction,
    DisconnectReason::PayloadFormatInvalid,
    DisconnectReason::RetainNotSupported,
    DisconnectReason::QosNotSupported,
    DisconnectReason::UseAnotherServer,
    DisconnectReason::ServerMoved,
    DisconnectReason::SharedSubscriptionsNotSupported,
    DisconnectReason::ConnectionRateExceeded,
    DisconnectReason::MaximumConnectTime,
    DisconnectReason::SubscriptionIdentifiersNotSupported,
    DisconnectReason::WildcardSubscriptionsNotSupported,
};

constexpr std::array kAuthReasons{AuthReason::Success, AuthReason::ContinueAuthentication,
                                  AuthReason::ReAuthenticate};

constexpr PropertySet kDisconnectProps =
    set_of(PropertyId::SessionExpiryInterval, PropertyId::ReasonString, PropertyId::UserProperty,
           PropertyId::ServerReference);

constexpr PropertySet kAuthProps =
    set_of(PropertyId::AuthenticationMethod, PropertyId::AuthenticationData,
           PropertyId::ReasonString, PropertyId::UserProperty);

bool empty(const DisconnectProps& s) {
  return !s.session_expiry && !s.reason_string && s.user.empty() && !s.server_reference;
}
bool empty(const AuthProps& s) {
  return !s.authentication_method && !s.authentication_data && !s.reason_string && s.user.empty();
}

Result<void> store_disconnect_prop(const RawProperty& p, DisconnectProps& props) {
  switch (p.id) {
    case PropertyId::SessionExpiryInterval: props.session_expiry = p.number; break;
    case PropertyId::ReasonString: props.reason_string = std::string(p.text); break;
    case PropertyId::ServerReference: props.server_reference = std::string(p.text); break;
    case PropertyId::UserProperty:
      props.user.push_back(UserProperty{std::string(p.text), std::string(p.text2)});
      break;
    default: return fail(MqttErrc::MalformedPacket);  // unreachable: filtered by kDisconnectProps
  }
  return {};
}

Result<void> store_auth_prop(const RawProperty& p, AuthProps& props) {
  switch (p.id) {
    case PropertyId::AuthenticationMethod: props.authentication_method = std::string(p.text); break;
    case PropertyId::AuthenticationData: props.authentication_data = std::string(p.text); break;
    case PropertyId::ReasonString: props.reason_string = std::string(p.text); break;
    case PropertyId::UserProperty:
      props.user.push_back(UserProperty{std::string(p.text), std::string(p.text2)});
      break;
    default: return fail(MqttErrc::MalformedPacket);  // unreachable: filtered by kAuthProps
  }
  return {};
}

}  // namespace

void write_body(Writer& w, const Disconnect& p, ProtocolVersion v) {
  if (v == ProtocolVersion::V311) return;  // MQTT 3.1.1 §3.14: no variable header
  // MQTT 5 §3.14.2.1: the Reason Code may be omitted (Remaining Length 0) when it is 0x00 and
  // there are no properties; §3.14.2.2.1: the Property Length may be omitted when there are none.
  const bool no_props = empty(p.props);
  if (p.reason == DisconnectReason::NormalDisconnection && no_props) return;
  w.u8(static_cast<std::uint8_t>(p.reason));
  if (no_props) return;
  put_properties(w, [&p](Writer& x) {
    put_u32(x, PropertyId::SessionExpiryInterval, p.props.session_expiry);
    put_str(x, PropertyId::ReasonString, p.props.reason_string);
    put_user(x, p.props.user);
    put_str(x, PropertyId::ServerReference, p.props.server_reference);
  });
}

Result<Packet> read_disconnect(Reader& r, ProtocolVersion v) {
  Disconnect d;
  if (v == ProtocolVersion::V5 && !r.empty()) {
    GW_TRY(code, r.u8());
    if (!is_one_of(code, kDisconnectReasons)) return fail(MqttErrc::ProtocolError);
    d.reason = static_cast<DisconnectReason>(code);
    if (!r.empty()) {
      GW_TRY_VOID(read_properties(r, kDisconnectProps, [&d](const RawProperty& p) {
        return store_disconnect_prop(p, d.props);
      }));
    }
  }
  // MQTT 3.1.1 §3.14.1: the Remaining Length is 0.
  GW_TRY_VOID(expect_end(r));
  return Packet(std::move(d));
}

void write_body(Writer& w, const Auth& p, ProtocolVersion v) {
  GW_CHECK(v == ProtocolVersion::V5);  // AUTH does not exist in MQTT 3.1.1
  // MQTT 5 §3.15.2.1: Reason Code and Property Length may be omitted together when the reason
  // is Success and there are no properties.
  if (p.reason == AuthReason::Success && empty(p.props)) return;
  w.u8(static_cast<std::uint8_t>(p.reason));
  put_properties(w, [&p](Writer& x) {
    put_str(x, PropertyId::AuthenticationMethod, p.props.authentication_method);
    put_str(x, PropertyId::AuthenticationData, p.props.authentication_data);
    put_str(x, PropertyId::ReasonString, p.props.reason_string);
    put_user(x, p.props.user);
  });
}

Result<Packet> read_auth(Reader& r) {
  Auth a;
  if (!r.empty()) {
    GW_TRY(code, r.u8());
    // MQTT 5 §3.15.2.1 lists the only valid Authenticate Reason Codes.
    if (!is_one_of(code, kAuthReasons)) return fail(MqttErrc::ProtocolError);
    a.reason = static_cast<AuthReason>(code);
    // MQTT 5 §3.15.2.1: Reason Code and Property Length are omitted together or not at all
    // (unlike DISCONNECT, AUTH has no "Remaining Length < 2" rule), so Remaining Length 1 is a
    // Malformed Packet: read_properties fails on the missing Property Length.
    GW_TRY_VOID(read_properties(
        r, kAuthProps, [&a](const RawProperty& p) { return store_auth_prop(p, a.props); }));
  }
  GW_TRY_VOID(expect_end(r));
  return Packet(std::move(a));
}

}  // namespace gw::broker::protocol::detail

namespace gw::broker::protocol {

bool is_disconnect_reason(std::uint8_t code) noexcept {
  return detail::is_one_of(code, detail::kDisconnectReasons);
}

}  // namespace gw::broker::protocol

// UNSUBSCRIBE and UNSUBACK bodies (MQTT 3.1.1 §3.10-3.11, MQTT 5 §3.10-3.11).
#include "broker/protocol/detail/codecs.hpp"
#include "broker/protocol/detail/properties.hpp"

namespace gw::broker::protocol::detail {
namespace {

constexpr PropertySet kUnsubscribeProps = set_of(PropertyId::UserProperty);

constexpr std::array kUnsubackReasons{
    UnsubackReason::Success,
    UnsubackReason::NoSubscriptionExisted,
    UnsubackReason::UnspecifiedError,
    UnsubackReason::ImplementationSpecificError,
    UnsubackReason::NotAuthorized,
    UnsubackReason::TopicFilterInvalid,
    UnsubackReason::PacketIdentifierInUse,
};

}  // namespace

void write_body(Writer& w, const Unsubscribe& p, ProtocolVersion v) {
  w.u16(static_cast<std::uint16_t>(p.packet_id));
  if (v == ProtocolVersion::V5) {
    put_properties(w, [&p](Writer& x) { put_user(x, p.props.user); });
  }
  for (const auto& f : p.filters) w.str(f.str());
}

Result<Packet> read_unsubscribe(Reader& r, ProtocolVersion v) {
  Unsubscribe u;
  GW_TRY(id, read_packet_id(r));
  u.packet_id = id;
  if (v == ProtocolVersion::V5) {
    GW_TRY_VOID(read_properties(r, kUnsubscribeProps, [&u](const RawProperty& p) -> Result<void> {
      u.props.user.push_back(UserProperty{std::string(p.text), std::string(p.text2)});
      return {};
    }));
  }
  while (!r.empty()) {
    // MQTT 5 §3.10.3 [MQTT-3.10.3-1]: UTF-8 Encoded Strings; filter rules as in SUBSCRIBE.
    GW_TRY(text, r.utf8());
    auto filter = TopicFilter::make(std::string(text));
    if (!filter) return fail(filter.error());
    u.filters.push_back(std::move(*filter));
  }
  // MQTT 5 §3.10.3 [MQTT-3.10.3-2] (3.1.1 likewise): at least one Topic Filter; "An UNSUBSCRIBE
  // packet with no Payload is a Protocol Error".
  if (u.filters.empty()) return fail(MqttErrc::ProtocolError);
  return Packet(std::move(u));
}

void write_body(Writer& w, const Unsuback& p, ProtocolVersion v) {
  w.u16(static_cast<std::uint16_t>(p.packet_id));
  if (v == ProtocolVersion::V311) return;  // MQTT 3.1.1 §3.11: packet id only
  put_ack_props(w, p.props);
  for (const auto reason : p.reasons) w.u8(static_cast<std::uint8_t>(reason));
}

Result<Packet> read_unsuback(Reader& r, ProtocolVersion v) {
  Unsuback u;
  GW_TRY(id, read_packet_id(r));
  u.packet_id = id;
  if (v == ProtocolVersion::V5) {
    GW_TRY_VOID(read_properties(
        r, kAckProps, [&u](const RawProperty& p) { return store_ack_prop(p, u.props); }));
    while (!r.empty()) {
      GW_TRY(code, r.u8());
      // MQTT 5 §3.11.3 lists the only valid Unsubscribe Reason Codes.
      if (!is_one_of(code, kUnsubackReasons)) return fail(MqttErrc::ProtocolError);
      u.reasons.push_back(static_cast<UnsubackReason>(code));
    }
    // MQTT 5 §3.11.3: one Reason Code per Topic Filter of the UNSUBSCRIBE (at least one).
    if (u.reasons.empty()) return fail(MqttErrc::ProtocolError);
  }
  // MQTT 3.1.1 §3.11.1: the Remaining Length is exactly 2.
  GW_TRY_VOID(expect_end(r));
  return Packet(std::move(u));
}

}  // namespace gw::broker::protocol::detail

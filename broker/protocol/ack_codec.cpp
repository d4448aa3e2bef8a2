// PUBACK, PUBREC, PUBREL, PUBCOMP bodies (MQTT 3.1.1 §3.4-3.7, MQTT 5 §3.4-3.7): the same
// layout with different reason code sets.
#include "broker/protocol/detail/codecs.hpp"
#include "broker/protocol/detail/properties.hpp"

namespace gw::broker::protocol::detail {
namespace {

constexpr std::array kPubackReasons{
    PubackReason::Success,          PubackReason::NoMatchingSubscribers,
    PubackReason::UnspecifiedError, PubackReason::ImplementationSpecificError,
    PubackReason::NotAuthorized,    PubackReason::TopicNameInvalid,
    PubackReason::PacketIdentifierInUse, PubackReason::QuotaExceeded,
    PubackReason::PayloadFormatInvalid};
constexpr std::array kPubrecReasons{
    PubrecReason::Success,          PubrecReason::NoMatchingSubscribers,
    PubrecReason::UnspecifiedError, PubrecReason::ImplementationSpecificError,
    PubrecReason::NotAuthorized,    PubrecReason::TopicNameInvalid,
    PubrecReason::PacketIdentifierInUse, PubrecReason::QuotaExceeded,
    PubrecReason::PayloadFormatInvalid};
constexpr std::array kPubrelReasons{PubrelReason::Success, PubrelReason::PacketIdentifierNotFound};
constexpr std::array kPubcompReasons{PubcompReason::Success,
                                     PubcompReason::PacketIdentifierNotFound};

}  // namespace

Result<void> store_ack_prop(const RawProperty& p, AckProps& props) {
  switch (p.id) {
    case PropertyId::ReasonString: props.reason_string = std::string(p.text); break;
    case PropertyId::UserProperty:
      props.user.push_back(UserProperty{std::string(p.text), std::string(p.text2)});
      break;
    default: return fail(MqttErrc::MalformedPacket);  // unreachable: filtered by kAckProps
  }
  return {};
}

void put_ack_props(Writer& w, const AckProps& props) {
  put_properties(w, [&props](Writer& x) {
    put_str(x, PropertyId::ReasonString, props.reason_string);
    put_user(x, props.user);
  });
}

namespace {

template <class Ack>
void write_ack(Writer& w, const Ack& p, ProtocolVersion v) {
  w.u16(static_cast<std::uint16_t>(p.packet_id));
  if (v == ProtocolVersion::V311) return;
  // MQTT 5 §3.4.2.1: "The Reason Code and Property Length can be omitted if the Reason Code is
  // 0x00 (Success) and there are no Properties"; §3.4.2.2.1: with no properties the Property
  // Length may be omitted. We write the shortest form.
  const bool no_props = empty(p.props);
  if (p.reason == decltype(p.reason)::Success && no_props) return;
  w.u8(static_cast<std::uint8_t>(p.reason));
  if (!no_props) put_ack_props(w, p.props);
}

template <class Ack, std::size_t N>
Result<Packet> read_ack(Reader& r, ProtocolVersion v,
                        const std::array<decltype(Ack::reason), N>& reasons) {
  Ack a;
  GW_TRY(id, read_packet_id(r));
  a.packet_id = id;
  if (v == ProtocolVersion::V5 && !r.empty()) {
    GW_TRY(code, r.u8());
    if (!is_one_of(code, reasons)) return fail(MqttErrc::ProtocolError);
    a.reason = static_cast<decltype(Ack::reason)>(code);
    // MQTT 5 §3.4.2.2.1: "If the Remaining Length is less than 4 there is no Property Length".
    if (!r.empty()) {
      GW_TRY_VOID(read_properties(
          r, kAckProps, [&a](const RawProperty& p) { return store_ack_prop(p, a.props); }));
    }
  }
  // MQTT 3.1.1 §3.4.1: the Remaining Length is exactly 2.
  GW_TRY_VOID(expect_end(r));
  return Packet(std::move(a));
}

}  // namespace

void write_body(Writer& w, const Puback& p, ProtocolVersion v) { write_ack(w, p, v); }
void write_body(Writer& w, const Pubrec& p, ProtocolVersion v) { write_ack(w, p, v); }
void write_body(Writer& w, const Pubrel& p, ProtocolVersion v) { write_ack(w, p, v); }
void write_body(Writer& w, const Pubcomp& p, ProtocolVersion v) { write_ack(w, p, v); }

Result<Packet> read_puback(Reader& r, ProtocolVersion v) {
  return read_ack<Puback>(r, v, kPubackReasons);
}
Result<Packet> read_pubrec(Reader& r, ProtocolVersion v) {
  return read_ack<Pubrec>(r, v, kPubrecReasons);
}
Result<Packet> read_pubrel(Reader& r, ProtocolVersion v) {
  return read_ack<Pubrel>(r, v, kPubrelReasons);
}
Result<Packet> read_pubcomp(Reader& r, ProtocolVersion v) {
  return read_ack<Pubcomp>(r, v, kPubcompReasons);
}

}  // namespace gw::broker::protocol::detail

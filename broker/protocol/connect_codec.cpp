// CONNECT body (MQTT 3.1.1 §3.1, MQTT 5 §3.1).
#include "broker/protocol/detail/codecs.hpp"
#include "broker/protocol/detail/properties.hpp"

namespace gw::broker::protocol::detail {
namespace {

constexpr std::uint8_t kUsernameFlag = 0x80;
constexpr std::uint8_t kPasswordFlag = 0x40;
constexpr std::uint8_t kWillRetainFlag = 0x20;
constexpr std::uint8_t kWillQosMask = 0x18;
constexpr std::uint8_t kWillFlag = 0x04;
constexpr std::uint8_t kCleanStartFlag = 0x02;
constexpr std::uint8_t kReservedFlag = 0x01;

constexpr PropertySet kConnectProps =
    set_of(PropertyId::SessionExpiryInterval, PropertyId::ReceiveMaximum,
           PropertyId::MaximumPacketSize, PropertyId::TopicAliasMaximum,
           PropertyId::RequestResponseInformation, PropertyId::RequestProblemInformation,
           PropertyId::UserProperty, PropertyId::AuthenticationMethod,
           PropertyId::AuthenticationData);

// MQTT 5 §3.1.3.2 Will Properties.
constexpr PropertySet kWillProps =
    set_of(PropertyId::WillDelayInterval, PropertyId::PayloadFormatIndicator,
           PropertyId::MessageExpiryInterval, PropertyId::ContentType, PropertyId::ResponseTopic,
           PropertyId::CorrelationData, PropertyId::UserProperty);

Result<void> store_connect_prop(const RawProperty& p, ConnectProps& props) {
  switch (p.id) {
    case PropertyId::SessionExpiryInterval: props.session_expiry = p.number; break;
    case PropertyId::ReceiveMaximum:
      props.receive_maximum = static_cast<std::uint16_t>(p.number);
      break;
    case PropertyId::MaximumPacketSize: props.maximum_packet_size = p.number; break;
    case PropertyId::TopicAliasMaximum:
      props.topic_alias_maximum = static_cast<std::uint16_t>(p.number);
      break;
    case PropertyId::RequestResponseInformation:
      props.request_response_information = p.number == 1;
      break;
    case PropertyId::RequestProblemInformation:
      props.request_problem_information = p.number == 1;
      break;
    case PropertyId::UserProperty:
      props.user.push_back(UserProperty{std::string(p.text), std::string(p.text2)});
      break;
    case PropertyId::AuthenticationMethod: props.authentication_method = std::string(p.text); break;
    case PropertyId::AuthenticationData: props.authentication_data = std::string(p.text); break;
    default: return fail(MqttErrc::MalformedPacket);  // unreachable: filtered by kConnectProps
  }
  return {};
}

Result<void> store_will_prop(const RawProperty& p, Will& will) {
  if (p.id == PropertyId::WillDelayInterval) {
    will.delay_interval = p.number;
    return {};
  }
  GW_TRY(stored, store_message_prop(p, will.props));
  if (!stored) return fail(MqttErrc::MalformedPacket);  // unreachable: filtered by kWillProps
  return {};
}

}  // namespace

void write_body(Writer& w, const Connect& p, ProtocolVersion /*v: CONNECT carries its own*/) {
  const bool v5 = p.version == ProtocolVersion::V5;
  w.str("MQTT");
  w.u8(static_cast<std::uint8_t>(p.version));
  std::uint8_t flags = 0;
  if (p.username) flags |= kUsernameFlag;
  if (p.password) flags |= kPasswordFlag;
  if (p.clean_start) flags |= kCleanStartFlag;
  if (p.will) {
    flags |= kWillFlag;
    flags |= static_cast<std::uint8_t>(static_cast<unsigned>(p.will->qos) << 3);
    if (p.will->retain) flags |= kWillRetainFlag;
  }
  w.u8(flags);
  w.u16(p.keep_alive);
  if (v5) {
    put_properties(w, [&p](Writer& x) {
      put_u32(x, PropertyId::SessionExpiryInterval, p.props.session_expiry);
      put_u16(x, PropertyId::ReceiveMaximum, p.props.receive_maximum);
      put_u32(x, PropertyId::MaximumPacketSize, p.props.maximum_packet_size);
      put_u16(x, PropertyId::TopicAliasMaximum, p.props.topic_alias_maximum);
      put_bool(x, PropertyId::RequestResponseInformation, p.props.request_response_information);
      put_bool(x, PropertyId::RequestProblemInformation, p.props.request_problem_information);
      put_user(x, p.props.user);
      put_str(x, PropertyId::AuthenticationMethod, p.props.authentication_method);
      put_str(x, PropertyId::AuthenticationData, p.props.authentication_data);
    });
  }
  w.str(p.client_id);
  if (p.will) {
    if (v5) {
      put_properties(w, [&p](Writer& x) {
        put_u32(x, PropertyId::WillDelayInterval, p.will->delay_interval);
        put_message_props(x, p.will->props);
      });
    }
    w.str(p.will->topic.view());
    w.str(p.will->payload);
  }
  if (p.username) w.str(*p.username);
  if (p.password) w.str(*p.password);
}

Result<Packet> read_connect(Reader& r) {
  Connect c;
  // MQTT 5 §3.1.2.1 / MQTT 3.1.1 §3.1.2.1: the protocol name is "MQTT". MQTT 3.1 used "MQIsdp"
  // with level 3: we do not speak it, and say so with UnsupportedProtocolVersion so that the
  // broker can answer CONNACK 0x01 (see peek_protocol_level).
  GW_TRY(name, r.utf8());
  GW_TRY(level, r.u8());
  if (name == "MQIsdp") return fail(MqttErrc::UnsupportedProtocolVersion);
  // [MQTT-3.1.2-1]: another protocol name means another protocol; we refuse it.
  if (name != "MQTT") return fail(MqttErrc::ProtocolError);
  // MQTT 5 §3.1.2.2 [MQTT-3.1.2-2]: an unsupported Protocol Version gets 0x84 (0x01 in 3.1.1).
  if (level != 4 && level != 5) return fail(MqttErrc::UnsupportedProtocolVersion);
  c.version = static_cast<ProtocolVersion>(level);
  const bool v5 = c.version == ProtocolVersion::V5;

  GW_TRY(flags, r.u8());
  // MQTT 5 §3.1.2.3 [MQTT-3.1.2-3] (3.1.1 likewise): the reserved flag is 0, else Malformed.
  if ((flags & kReservedFlag) != 0) return fail(MqttErrc::MalformedPacket);
  const bool will_flag = (flags & kWillFlag) != 0;
  const unsigned will_qos = (flags & kWillQosMask) >> 3;
  const bool will_retain = (flags & kWillRetainFlag) != 0;
  // MQTT 5 §3.1.2.6 [MQTT-3.1.2-12]: "A value of 3 (0x03) is a Malformed Packet."
  if (will_qos == 3) return fail(MqttErrc::MalformedPacket);
  // MQTT 5 §3.1.2.6 [MQTT-3.1.2-11] and §3.1.2.7 [MQTT-3.1.2-13]: without the Will Flag, Will
  // QoS and Will Retain are 0. The spec gives no class; it is well-formed but forbidden, so
  // Protocol Error.
  if (!will_flag && (will_qos != 0 || will_retain)) return fail(MqttErrc::ProtocolError);
  // MQTT 3.1.1 §3.1.2.9 [MQTT-3.1.2-22]: no password without a user name (MQTT 5 allows it).
  if (!v5 && (flags & kPasswordFlag) != 0 && (flags & kUsernameFlag) == 0) {
    return fail(MqttErrc::ProtocolError);
  }
  c.clean_start = (flags & kCleanStartFlag) != 0;
  GW_TRY(keep_alive, r.u16());
  c.keep_alive = keep_alive;
  if (v5) {
    GW_TRY_VOID(read_properties(r, kConnectProps,
                                [&c](const RawProperty& p) { return store_connect_prop(p, c.props); }));
  }
  // MQTT 5 §3.1.3.1 [MQTT-3.1.3-4]: the Client Identifier is a UTF-8 Encoded String. Whether an
  // empty or unusual one is acceptable is the broker's decision (it answers 0x85 / 0x02).
  GW_TRY(client_id, r.utf8());
  c.client_id = std::string(client_id);
  if (will_flag) {
    Will will;
    will.qos = static_cast<QoS>(will_qos);
    will.retain = will_retain;
    if (v5) {
      GW_TRY_VOID(read_properties(r, kWillProps,
                                  [&will](const RawProperty& p) { return store_will_prop(p, will); }));
    }
    // MQTT 5 §3.1.3.3 [MQTT-3.1.3-11]: the Will Topic is a UTF-8 Encoded String, and a Topic Name.
    GW_TRY(topic_text, r.utf8());
    auto topic = TopicName::make(std::string(topic_text));
    if (!topic) return fail(topic.error());
    will.topic = std::move(*topic);
    GW_TRY(payload, r.binary());
    will.payload = std::string(payload);
    c.will = std::move(will);
  }
  if ((flags & kUsernameFlag) != 0) {
    // MQTT 5 §3.1.3.5 [MQTT-3.1.3-12]: a UTF-8 Encoded String.
    GW_TRY(username, r.utf8());
    c.username = std::string(username);
  }
  if ((flags & kPasswordFlag) != 0) {
    GW_TRY(password, r.binary());
    c.password = std::string(password);
  }
  GW_TRY_VOID(expect_end(r));
  return Packet(std::move(c));
}

}  // namespace gw::broker::protocol::detail

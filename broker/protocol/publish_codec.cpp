// PUBLISH body (MQTT 3.1.1 §3.3, MQTT 5 §3.3).
#include "broker/protocol/detail/codecs.hpp"
#include "broker/protocol/detail/properties.hpp"

namespace gw::broker::protocol::detail {
namespace {

constexpr PropertySet kPublishProps =
    set_of(PropertyId::PayloadFormatIndicator, PropertyId::MessageExpiryInterval,
           PropertyId::TopicAlias, PropertyId::ResponseTopic, PropertyId::CorrelationData,
           PropertyId::UserProperty, PropertyId::SubscriptionIdentifier, PropertyId::ContentType);

Result<void> store_publish_prop(const RawProperty& p, PublishProps& props) {
  if (p.id == PropertyId::TopicAlias) {
    props.topic_alias = static_cast<std::uint16_t>(p.number);
    return {};
  }
  if (p.id == PropertyId::SubscriptionIdentifier) {
    props.subscription_ids.push_back(p.number);
    return {};
  }
  GW_TRY(stored, store_message_prop(p, props.message));
  if (!stored) return fail(MqttErrc::MalformedPacket);  // unreachable: filtered by kPublishProps
  return {};
}

}  // namespace

void write_publish_body(Writer& w, std::string_view topic, QoS qos, PacketId id,
                        const MessageProps& message, std::optional<std::uint32_t> message_expiry,
                        std::optional<std::uint16_t> topic_alias,
                        std::span<const std::uint32_t> subscription_ids, std::string_view payload,
                        ProtocolVersion v) {
  w.str(topic);
  if (qos != QoS::AtMostOnce) w.u16(static_cast<std::uint16_t>(id));
  if (v == ProtocolVersion::V5) {
    put_properties(w, [&](Writer& x) {
      put_message_props(x, message, message_expiry);
      put_u16(x, PropertyId::TopicAlias, topic_alias);
      for (const auto sid : subscription_ids) put_vbi(x, PropertyId::SubscriptionIdentifier, sid);
    });
  }
  w.raw(payload);
}

void write_body(Writer& w, const Publish& p, ProtocolVersion v) {
  write_publish_body(w, p.topic.view(), p.qos, p.packet_id, p.props.message,
                     p.props.message.message_expiry, p.props.topic_alias, p.props.subscription_ids,
                     p.payload, v);
}

void write_body(Writer& w, const PublishView& p, ProtocolVersion v) {
  write_publish_body(w, p.omit_topic ? std::string_view{} : std::string_view(p.message.topic),
                     p.qos, p.packet_id, p.message.props, p.message_expiry, p.topic_alias,
                     p.subscription_ids, p.message.payload, v);
}

Result<Packet> read_publish(Reader& r, std::uint8_t flags, ProtocolVersion v) {
  Publish p;
  const unsigned qos = (flags >> 1) & 0x03;
  // MQTT 5 §3.3.1.2 [MQTT-3.3.1-4] (3.1.1 likewise): QoS 3 is a Malformed Packet.
  if (qos == 3) return fail(MqttErrc::MalformedPacket);
  p.qos = static_cast<QoS>(qos);
  p.dup = (flags & 0x08) != 0;
  p.retain = (flags & 0x01) != 0;
  // MQTT 5 §3.3.1.1 [MQTT-3.3.1-2] (3.1.1 likewise): DUP is 0 for every QoS 0 message; the spec
  // gives no class, the packet parses, so Protocol Error.
  if (p.dup && p.qos == QoS::AtMostOnce) return fail(MqttErrc::ProtocolError);
  // MQTT 5 §3.3.2.1 [MQTT-3.3.2-1]: the Topic Name is a UTF-8 Encoded String.
  GW_TRY(topic, r.utf8());
  if (p.qos != QoS::AtMostOnce) {
    GW_TRY(id, read_packet_id(r));
    p.packet_id = id;
  }
  if (v == ProtocolVersion::V5) {
    GW_TRY_VOID(read_properties(
        r, kPublishProps, [&p](const RawProperty& prop) { return store_publish_prop(prop, p.props); },
        bit(PropertyId::SubscriptionIdentifier)));
  }
  if (topic.empty()) {
    // MQTT 5 §3.3.2.3.4: "It is a Protocol Error if the Topic Name is zero length and there is no
    // Topic Alias." MQTT 3.1.1 §4.7.3 [MQTT-4.7.3-1]: topic names are at least one character.
    if (v != ProtocolVersion::V5 || !p.props.topic_alias) return fail(MqttErrc::ProtocolError);
  } else {
    // MQTT 5 §3.3.2.1 [MQTT-3.3.2-2]: no wildcards in a Topic Name. The spec names no class;
    // we report Topic Name Invalid (0x90), a valid DISCONNECT and PUBACK reason.
    auto name = TopicName::make(std::string(topic));
    if (!name) return fail(name.error());
    p.topic = std::move(*name);
  }
  // MQTT 5 §3.3.3: the payload is the rest of the packet; it may be empty. A Payload Format
  // Indicator of 1 with a payload that is not UTF-8 is left to the broker (PayloadFormatInvalid,
  // MQTT 5 §3.3.2.3.2): checking it costs a pass over every payload and the spec makes it
  // optional for the receiver.
  p.payload = std::string(r.rest());
  return Packet(std::move(p));
}

}  // namespace gw::broker::protocol::detail

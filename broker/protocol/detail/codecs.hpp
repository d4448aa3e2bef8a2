// Internal to the codec: the body (variable header + payload) reader and writer of each packet.
// codec.cpp adds the fixed header and dispatches. Readers get a Reader over exactly the body and
// the fixed header's flag nibble; they refuse trailing bytes.
//
// Thread safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "broker/protocol/detail/wire.hpp"
#include "broker/protocol/packet.hpp"
#include "broker/protocol/publish_view.hpp"
#include "broker/protocol/protocol_version.hpp"

namespace gw::broker::protocol::detail {

void write_body(Writer& w, const Connect& p, ProtocolVersion v);
void write_body(Writer& w, const Connack& p, ProtocolVersion v);
void write_body(Writer& w, const Publish& p, ProtocolVersion v);
void write_body(Writer& w, const Puback& p, ProtocolVersion v);
void write_body(Writer& w, const Pubrec& p, ProtocolVersion v);
void write_body(Writer& w, const Pubrel& p, ProtocolVersion v);
void write_body(Writer& w, const Pubcomp& p, ProtocolVersion v);
void write_body(Writer& w, const Subscribe& p, ProtocolVersion v);
void write_body(Writer& w, const Suback& p, ProtocolVersion v);
void write_body(Writer& w, const Unsubscribe& p, ProtocolVersion v);
void write_body(Writer& w, const Unsuback& p, ProtocolVersion v);
void write_body(Writer& w, const Disconnect& p, ProtocolVersion v);
void write_body(Writer& w, const Auth& p, ProtocolVersion v);
inline void write_body(Writer&, const Pingreq&, ProtocolVersion) {}
inline void write_body(Writer&, const Pingresp&, ProtocolVersion) {}

// The PUBLISH body from its parts, shared by Publish, PublishView and publish_size(Message).
void write_publish_body(Writer& w, std::string_view topic, QoS qos, PacketId id,
                        const MessageProps& message, std::optional<std::uint32_t> message_expiry,
                        std::optional<std::uint16_t> topic_alias,
                        std::span<const std::uint32_t> subscription_ids, std::string_view payload,
                        ProtocolVersion v);
void write_body(Writer& w, const PublishView& p, ProtocolVersion v);

[[nodiscard]] constexpr std::uint8_t publish_first_byte(QoS qos, bool dup, bool retain) noexcept {
  return static_cast<std::uint8_t>(0x30 | (dup ? 0x08 : 0) | (static_cast<unsigned>(qos) << 1) |
                                   (retain ? 0x01 : 0));
}

Result<Packet> read_connect(Reader& r);
Result<Packet> read_connack(Reader& r, ProtocolVersion v);
Result<Packet> read_publish(Reader& r, std::uint8_t flags, ProtocolVersion v);
Result<Packet> read_puback(Reader& r, ProtocolVersion v);
Result<Packet> read_pubrec(Reader& r, ProtocolVersion v);
Result<Packet> read_pubrel(Reader& r, ProtocolVersion v);
Result<Packet> read_pubcomp(Reader& r, ProtocolVersion v);
Result<Packet> read_subscribe(Reader& r, ProtocolVersion v);
Result<Packet> read_suback(Reader& r, ProtocolVersion v);
Result<Packet> read_unsubscribe(Reader& r, ProtocolVersion v);
Result<Packet> read_unsuback(Reader& r, ProtocolVersion v);
Result<Packet> read_disconnect(Reader& r, ProtocolVersion v);
Result<Packet> read_auth(Reader& r);

// Reads a Packet Identifier. MQTT 5 §2.2.1 [MQTT-2.2.1-3]: packets that carry one carry a
// non-zero one; 0 is a Protocol Error.
inline Result<PacketId> read_packet_id(Reader& r) noexcept {
  GW_TRY(id, r.u16());
  if (id == 0) return fail(MqttErrc::ProtocolError);
  return PacketId{id};
}

// Whether `value` is one of an enum's spec values.
template <class E, std::size_t N>
[[nodiscard]] constexpr bool is_one_of(std::uint8_t value, const std::array<E, N>& values) noexcept {
  for (const E e : values) {
    if (static_cast<std::uint8_t>(e) == value) return true;
  }
  return false;
}

// Refuses bytes after the last field the spec defines (a Malformed Packet: the Remaining
// Length disagrees with the content).
inline Result<void> expect_end(const Reader& r) noexcept {
  if (!r.empty()) return fail(MqttErrc::MalformedPacket);
  return {};
}

}  // namespace gw::broker::protocol::detail

// Fixed header (MQTT 5 §2.1), dispatch to the per-packet bodies, and the encode entry points.
#include "broker/protocol/codec.hpp"

#include "broker/protocol/detail/codecs.hpp"

#include <algorithm>
#include <type_traits>

namespace gw::broker::protocol {
namespace {

using detail::Reader;
using detail::Writer;

// MQTT 5 §2.1.3 [MQTT-2.1.3-1]: the flags of every packet but PUBLISH are fixed: 0b0010 for
// PUBREL, SUBSCRIBE and UNSUBSCRIBE, 0 for the others. "If invalid flags are received it is a
// Malformed Packet."
constexpr std::uint8_t required_flags(PacketType t) noexcept {
  return t == PacketType::Pubrel || t == PacketType::Subscribe || t == PacketType::Unsubscribe
             ? 0x02
             : 0x00;
}

// The position of P in Packet, which is its packet type - 1.
template <class P, class V>
struct IndexOf;
template <class P, class... Ts>
struct IndexOf<P, std::variant<Ts...>> {
  static constexpr std::size_t value = [] {
    std::size_t i = 0;
    (void)((std::is_same_v<P, Ts> ? true : (++i, false)) || ...);
    return i;
  }();
};

template <class P>
std::uint8_t first_byte(const P&) noexcept {
  constexpr auto type = static_cast<PacketType>(IndexOf<P, Packet>::value + 1);
  return static_cast<std::uint8_t>((static_cast<unsigned>(type) << 4) | required_flags(type));
}
template <>
std::uint8_t first_byte(const Publish& p) noexcept {
  return detail::publish_first_byte(p.qos, p.dup, p.retain);
}
template <>
std::uint8_t first_byte(const PublishView& p) noexcept {
  return detail::publish_first_byte(p.qos, p.dup, p.retain);
}

template <class P>
ProtocolVersion effective_version(const P&, ProtocolVersion v) noexcept {
  return v;
}
template <>
ProtocolVersion effective_version(const Connect& p, ProtocolVersion) noexcept {
  return p.version;  // CONNECT carries its own version
}

// The body's size, even past the protocol's limit (encoded_size() reports such a packet, which
// the caller must not send; a copy of a message can outgrow the packet it arrived in).
template <class P>
std::size_t measured_body_size(const P& p, ProtocolVersion v) {
  Writer count;
  detail::write_body(count, p, effective_version(p, v));
  return count.size();
}

template <class P>
std::size_t body_size(const P& p, ProtocolVersion v) {
  const std::size_t size = measured_body_size(p, v);
  GW_CHECK(size <= kMaxRemainingLength);
  return size;
}

template <class P>
void encode_packet(const P& p, ProtocolVersion v, std::vector<std::byte>& out) {
  const std::size_t body = body_size(p, v);
  const std::size_t total = packet_size_for(body);
  const std::size_t start = out.size();
  // Grow geometrically: reserve(exact) on every packet would reallocate on every append.
  if (out.capacity() < start + total) out.reserve(std::max(start + total, 2 * out.capacity()));
  out.resize(start + total);
  Writer w(out.data() + start);
  w.u8(first_byte(p));
  w.vbi(static_cast<std::uint32_t>(body));
  detail::write_body(w, p, effective_version(p, v));
  GW_CHECK(w.size() == total);  // the counting pass and the writing pass agree
}

Result<Packet> decode_body(PacketType type, std::uint8_t flags, Reader& body,
                           const DecodeOptions& options) {
  if (type != PacketType::Publish && flags != required_flags(type)) {
    return fail(MqttErrc::MalformedPacket);
  }
  if (type == PacketType::Connect) return detail::read_connect(body);
  // MQTT 5 §3.1 [MQTT-3.1.0-1]: the first packet from a client is CONNECT; before it the
  // connection has no version and nothing else is acceptable.
  if (!options.version) return fail(MqttErrc::ProtocolError);
  const ProtocolVersion v = *options.version;
  switch (type) {
    case PacketType::Connect: break;  // handled above
    case PacketType::Connack: return detail::read_connack(body, v);
    case PacketType::Publish: return detail::read_publish(body, flags, v);
    case PacketType::Puback: return detail::read_puback(body, v);
    case PacketType::Pubrec: return detail::read_pubrec(body, v);
    case PacketType::Pubrel: return detail::read_pubrel(body, v);
    case PacketType::Pubcomp: return detail::read_pubcomp(body, v);
    case PacketType::Subscribe: return detail::read_subscribe(body, v);
    case PacketType::Suback: return detail::read_suback(body, v);
    case PacketType::Unsubscribe: return detail::read_unsubscribe(body, v);
    case PacketType::Unsuback: return detail::read_unsuback(body, v);
    case PacketType::Pingreq:
    case PacketType::Pingresp:
      // MQTT 5 §3.12, §3.13: no variable header, no payload.
      GW_TRY_VOID(detail::expect_end(body));
      if (type == PacketType::Pingreq) return Packet(Pingreq{});
      return Packet(Pingresp{});
    case PacketType::Disconnect: return detail::read_disconnect(body, v);
    case PacketType::Auth:
      // MQTT 3.1.1 §2.2.1: type 15 is reserved ("Forbidden").
      if (v == ProtocolVersion::V311) return fail(MqttErrc::MalformedPacket);
      return detail::read_auth(body);
  }
  return fail(MqttErrc::MalformedPacket);
}

}  // namespace

std::size_t packet_size_for(std::size_t remaining_length) noexcept {
  if (remaining_length > kMaxRemainingLength) return 1 + 4 + remaining_length;  // > kMaxPacketSize
  return 1 + detail::vbi_size(static_cast<std::uint32_t>(remaining_length)) + remaining_length;
}

Result<std::optional<FixedHeader>> parse_fixed_header(std::span<const std::byte> bytes,
                                                      std::uint32_t maximum_packet_size) {
  if (bytes.empty()) return std::optional<FixedHeader>{};
  FixedHeader h;
  h.first_byte = std::to_integer<std::uint8_t>(bytes[0]);
  // MQTT 5 §2.1.2: packet type 0 is reserved ("Forbidden").
  if ((h.first_byte >> 4) == 0) return fail(MqttErrc::MalformedPacket);
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (bytes.size() < i + 2) return std::optional<FixedHeader>{};  // need more bytes
    const auto b = std::to_integer<std::uint8_t>(bytes[i + 1]);
    value |= std::uint32_t{b & 0x7Fu} << (7 * i);
    if ((b & 0x80) != 0) continue;
    // MQTT 5 §1.5.5 [MQTT-1.5.5-1]: the minimum number of bytes; a final 0x00 after a
    // continuation byte means a longer encoding than needed.
    if (i > 0 && b == 0) return fail(MqttErrc::MalformedPacket);
    h.remaining_length = value;
    h.header_size = static_cast<std::uint8_t>(i + 2);
    // MQTT 5 §3.1.2.11.4 / §3.2.2.3.6: a packet above the Maximum Packet Size is refused; we
    // know the size now, before any of the body has to be buffered.
    if (h.packet_size() > maximum_packet_size) return fail(MqttErrc::PacketTooLarge);
    return std::optional<FixedHeader>{h};
  }
  // MQTT 5 §1.5.5: a Variable Byte Integer has at most four bytes.
  return fail(MqttErrc::MalformedPacket);
}

Result<Decoded> decode(std::span<const std::byte> bytes, const DecodeOptions& options) {
  GW_TRY(header, parse_fixed_header(bytes, options.maximum_packet_size));
  if (!header || bytes.size() < header->packet_size()) return fail(MqttErrc::MalformedPacket);
  Reader body(bytes.subspan(header->header_size, header->remaining_length));
  const auto type = static_cast<PacketType>(header->first_byte >> 4);
  GW_TRY(packet, decode_body(type, header->first_byte & 0x0F, body, options));
  return Decoded{std::move(packet), header->packet_size()};
}

std::optional<std::uint8_t> peek_protocol_level(std::span<const std::byte> bytes) noexcept {
  auto header = parse_fixed_header(bytes, kMaxPacketSize);
  if (!header || !*header || ((*header)->first_byte >> 4) != 1) return std::nullopt;
  Reader r(bytes.subspan((*header)->header_size));
  auto name = r.binary();  // "MQTT" or "MQIsdp"; not validated: any level is reported
  if (!name) return std::nullopt;
  auto level = r.u8();
  if (!level) return std::nullopt;
  return *level;
}

void encode(const Packet& packet, ProtocolVersion version, std::vector<std::byte>& out) {
  std::visit([&](const auto& p) { encode_packet(p, version, out); }, packet);
}
void encode(const Connect& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}
void encode(const Connack& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}
void encode(const Publish& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}
void encode(const Puback& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}
void encode(const Pubrec& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}
void encode(const Pubrel& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}
void encode(const Pubcomp& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}
void encode(const Subscribe& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}
void encode(const Suback& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}
void encode(const Unsubscribe& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}
void encode(const Unsuback& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}
void encode(const Pingreq& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}
void encode(const Pingresp& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}
void encode(const Disconnect& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}
void encode(const Auth& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}

std::size_t encoded_size(const Packet& packet, ProtocolVersion version) {
  return std::visit([&](const auto& p) { return packet_size_for(measured_body_size(p, version)); },
                    packet);
}

std::size_t encoded_size(const Publish& packet, ProtocolVersion version) {
  return packet_size_for(measured_body_size(packet, version));
}

void encode(const PublishView& p, ProtocolVersion v, std::vector<std::byte>& out) {
  encode_packet(p, v, out);
}

std::size_t encoded_size(const PublishView& packet, ProtocolVersion version) {
  return packet_size_for(measured_body_size(packet, version));
}

std::size_t publish_size(const Message& message, ProtocolVersion version,
                         std::optional<std::uint16_t> topic_alias) {
  Writer count;
  detail::write_publish_body(count, message.topic, message.qos, PacketId{1}, message.props,
                             message.props.message_expiry,
                             topic_alias, {}, message.payload, version);
  return packet_size_for(count.size());
}

}  // namespace gw::broker::protocol

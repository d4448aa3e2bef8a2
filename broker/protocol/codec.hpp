// The sans-I/O MQTT 3.1.1 / 5.0 codec: bytes in, Packet out, and back. Never touches a socket.
//
//   DecodeOptions opts{.version = ProtocolVersion::V5, .maximum_packet_size = 256 * 1024};
//   auto d = decode(bytes, opts);            // one complete packet at the front of `bytes`
//   if (!d) return close_with(to_mqtt_errc(d.error()));
//   encode(Puback{.packet_id = id}, ProtocolVersion::V5, out);  // appends to `out`
//
// For a byte stream use StreamDecoder (stream_decoder.hpp).
//
// Error classification (all errors are gw::MqttErrc values, MQTT 5 §4.13):
//  - MalformedPacket (0x81): the bytes cannot be parsed: truncated fields, a Variable Byte Integer
//    longer than 4 bytes or not minimally encoded, invalid UTF-8, reserved fixed-header flags, a
//    property identifier not valid for the packet (MQTT 5 §2.2.2.2), QoS 3, trailing bytes;
//  - ProtocolError (0x82): parsed but forbidden: a repeated property, a property value the spec
//    forbids (0 for Receive Maximum, Maximum Packet Size, Topic Alias, Subscription Identifier;
//    not 0/1 for the boolean properties), packet id 0, no topic filter in (UN)SUBSCRIBE, Retain
//    Handling 3, inconsistent will flags, DUP with QoS 0, an unknown reason code;
//  - TopicNameInvalid (0x90) for a PUBLISH or will topic with wildcards, TopicFilterInvalid
//    (0x8F) for a (UN)SUBSCRIBE filter that breaks the filter rules; both are valid DISCONNECT
//    reasons, so the broker can pass them on as they are;
//  - UnsupportedProtocolVersion (0x84): CONNECT for a protocol level other than 4 or 5
//    (see peek_protocol_level to choose the CONNACK);
//  - PacketTooLarge (0x95): more than DecodeOptions::maximum_packet_size bytes announced.
// Left to the broker, which knows the connection's state and direction: a Subscription
// Identifier in a client's PUBLISH [MQTT-3.3.4-6], topic alias range, a Payload Format Indicator
// of 1 with a payload that is not UTF-8 (MQTT 5 §3.3.2.3.2, PayloadFormatInvalid), client id
// rules, a second CONNECT, AUTH method consistency.
//
// Thread safety: all functions are pure and safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "broker/protocol/packet.hpp"
#include "broker/protocol/protocol_version.hpp"
#include "broker/protocol/publish_view.hpp"
#include "core/message.hpp"
#include "core/mqtt_errc.hpp"
#include "core/result.hpp"

namespace gw::broker::protocol {

// MQTT 5 §1.5.5: a Variable Byte Integer holds at most 268,435,455.
inline constexpr std::uint32_t kMaxRemainingLength = 268'435'455;
// The largest packet: 1 byte of type and flags, 4 bytes of Remaining Length, the body.
inline constexpr std::uint32_t kMaxPacketSize = kMaxRemainingLength + 5;

// What decode() and StreamDecoder need to know about the connection. A value type.
struct DecodeOptions {
  // The connection's version. Unset until CONNECT was seen: then only CONNECT decodes, anything
  // else is a ProtocolError (MQTT 5 §3.1 [MQTT-3.1.0-1]). CONNECT always decodes in the version
  // it announces.
  std::optional<ProtocolVersion> version;
  // Packets larger than this (whole packet, fixed header included: MQTT 5 §3.1.2.11.4) are
  // refused with PacketTooLarge.
  std::uint32_t maximum_packet_size = kMaxPacketSize;
};

// One decoded packet and how many input bytes it took. Owns the packet (nothing in it points
// into the input). A value type.
struct Decoded {
  Packet packet;
  std::size_t size = 0;  // bytes consumed: the whole packet, fixed header included
};

// The fixed header (MQTT 5 §2.1.1) of a packet, as parsed before the body is at hand. A value
// type.
struct FixedHeader {
  std::uint8_t first_byte = 0;         // packet type << 4 | flags
  std::uint32_t remaining_length = 0;  // body bytes
  std::uint8_t header_size = 0;        // 2..5
  [[nodiscard]] std::size_t packet_size() const noexcept {
    return std::size_t{header_size} + remaining_length;
  }
};

// Parses the fixed header at the front of `bytes`. nullopt when more bytes are needed to complete
// it. Checks the size against `maximum_packet_size` as soon as the header is complete, so an
// oversize packet is refused before its body arrives.
// Errors: MalformedPacket (Remaining Length longer than 4 bytes or not minimally encoded,
// MQTT 5 §1.5.5 [MQTT-1.5.5-1]), PacketTooLarge.
[[nodiscard]] Result<std::optional<FixedHeader>> parse_fixed_header(
    std::span<const std::byte> bytes, std::uint32_t maximum_packet_size);

// Decodes the one complete packet at the front of `bytes`; bytes after it are ignored (see
// Decoded::size). Never reads outside `bytes`, never throws, never allocates more than the
// packet's own content.
// Errors: MalformedPacket (including `bytes` ending before the packet does), ProtocolError,
// TopicNameInvalid, TopicFilterInvalid, UnsupportedProtocolVersion, PacketTooLarge; see above.
[[nodiscard]] Result<Decoded> decode(std::span<const std::byte> bytes, const DecodeOptions& options);

// The protocol level byte of the CONNECT at the front of `bytes`, even one decode() refused
// (e.g. 3 for MQTT 3.1 "MQIsdp"); nullopt when `bytes` is not a CONNECT or is too short. Lets the
// broker answer UnsupportedProtocolVersion with the CONNACK the client can read: the 3.1.1 form
// with return code 1 for levels below 5, the MQTT 5 form with 0x84 otherwise.
[[nodiscard]] std::optional<std::uint8_t> peek_protocol_level(
    std::span<const std::byte> bytes) noexcept;

// Appends the encoding of `packet` for `version` to `out`. No allocation beyond the growth of
// `out`. CONNECT is written in its own Connect::version. Fields the version does not have are
// left out (see each packet's header).
// Preconditions (checked, abort on violation: they are programming errors, never input):
// every string and binary field is at most 65,535 bytes; the body is at most
// kMaxRemainingLength bytes; no Auth for MQTT 3.1.1.
// Anything else is written as given, including values a receiver will refuse (packet id 0,
// Receive Maximum 0, an empty topic without alias...): the codec does not police its user.
void encode(const Packet& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Connect& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Connack& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Publish& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Puback& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Pubrec& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Pubrel& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Pubcomp& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Subscribe& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Suback& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Unsubscribe& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Unsuback& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Pingreq& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Pingresp& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Disconnect& packet, ProtocolVersion version, std::vector<std::byte>& out);
void encode(const Auth& packet, ProtocolVersion version, std::vector<std::byte>& out);
// The same bytes as encode(Publish) of the equivalent packet, without building one.
void encode(const PublishView& packet, ProtocolVersion version, std::vector<std::byte>& out);

// The exact number of bytes encode() appends for the same arguments: fixed header, Remaining
// Length bytes and body. Use it to honour a peer's Maximum Packet Size before sending. A packet
// over the protocol's limit (a copy of a message can outgrow the packet it arrived in) measures
// more than kMaxPacketSize, and must not be given to encode().
[[nodiscard]] std::size_t encoded_size(const Packet& packet, ProtocolVersion version);
[[nodiscard]] std::size_t encoded_size(const Publish& packet, ProtocolVersion version);
[[nodiscard]] std::size_t encoded_size(const PublishView& packet, ProtocolVersion version);

// The exact encoded size of a PUBLISH of `message` with a packet id when its QoS > 0, no DUP, and
// (MQTT 5) the message's own properties plus an optional Topic Alias: what the bridge compares
// with the remote's Maximum Packet Size. Equal to encoded_size() of the equivalent Publish.
// Precondition: strings at most 65,535 bytes.
[[nodiscard]] std::size_t publish_size(const Message& message, ProtocolVersion version,
                                       std::optional<std::uint16_t> topic_alias = std::nullopt);

// The size of a whole packet whose body is `remaining_length` bytes: 1 + VBI size + body; more
// than kMaxPacketSize when remaining_length is over kMaxRemainingLength.
[[nodiscard]] std::size_t packet_size_for(std::size_t remaining_length) noexcept;

}  // namespace gw::broker::protocol

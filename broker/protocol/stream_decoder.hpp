// StreamDecoder: decodes MQTT packets from a byte stream that arrives in arbitrary pieces (a TCP
// connection): a packet split across reads, several packets in one read. Sans-I/O: the owner
// reads the socket and feeds the bytes.
//
//   StreamDecoder dec({.version = std::nullopt, .maximum_packet_size = 256 * 1024});
//   dec.feed(bytes_just_read);
//   while (true) {
//     auto next = dec.next();
//     if (!next) return close_with(to_mqtt_errc(next.error()));   // sticky
//     if (!*next) break;                                           // need more bytes
//     session.on_packet(std::move(**next));
//   }
//
// Memory: buffers at most one packet, and never more than maximum_packet_size bytes of it: a
// fixed header that announces more is refused with PacketTooLarge as soon as it is complete,
// before its body arrives. The buffer is reused between packets (no allocation per packet in
// the steady state beyond the decoded packet's own strings).
//
// Version: until a version is set, only CONNECT decodes; a CONNECT decoded while no version is
// set sets the version to the one it announces.
//
// Errors are sticky: after next() failed, the connection must be closed; feed() then discards
// and next() repeats the error.
//
// Ownership: owns its buffer. Thread safety: none; one connection, one thread (the core thread).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "broker/protocol/codec.hpp"

namespace gw::broker::protocol {

class StreamDecoder {
 public:
  explicit StreamDecoder(DecodeOptions options = {}) : options_(options) {}

  // Appends bytes received from the peer. Copies them; `bytes` may be reused afterwards.
  void feed(std::span<const std::byte> bytes);

  // The next complete packet, or nullopt when more bytes are needed.
  // Errors: those of decode(), notably PacketTooLarge before the body is buffered and
  // MalformedPacket for a Remaining Length longer than 4 bytes as soon as its fifth byte is seen.
  [[nodiscard]] Result<std::optional<Packet>> next();

  void set_version(ProtocolVersion version) noexcept { options_.version = version; }
  void set_maximum_packet_size(std::uint32_t size) noexcept { options_.maximum_packet_size = size; }
  [[nodiscard]] const DecodeOptions& options() const noexcept { return options_; }

  // After a CONNECT failed with UnsupportedProtocolVersion: the protocol level it announced,
  // to pick the CONNACK form (see peek_protocol_level). nullopt otherwise.
  [[nodiscard]] std::optional<std::uint8_t> refused_protocol_level() const noexcept {
    return refused_level_;
  }

  // Bytes received but not yet returned as packets.
  [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size() - start_; }

 private:
  DecodeOptions options_;
  std::vector<std::byte> buffer_;
  std::size_t start_ = 0;  // first byte not yet decoded
  std::error_code error_;
  std::optional<std::uint8_t> refused_level_;
};

}  // namespace gw::broker::protocol

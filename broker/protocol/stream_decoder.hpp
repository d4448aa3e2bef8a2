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
// Memory and copies: consume() decodes packets that arrive whole straight from the caller's
// bytes, without copying them; only a packet split across reads is buffered. feed()+next() copy
// (convenient for tests and tools). Either way at most one packet is buffered and never more than
// maximum_packet_size bytes of it: a fixed header that announces more is refused with
// PacketTooLarge as soon as it is complete, before its body arrives. A buffer grown by a large
// packet is released afterwards, so an idle connection holds no input buffer.
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

  // Appends a copy of bytes received from the peer; then call next() until it returns nullopt.
  void feed(std::span<const std::byte> bytes);

  // The zero-copy path: decodes every complete packet in what is buffered followed by `bytes`,
  // calling `on_packet(Packet&&)` for each until it returns false (the connection is closing;
  // the rest is dropped). Keeps a trailing partial packet. `bytes` is not used after the call.
  // Errors: those of next().
  template <class F>
  Result<void> consume(std::span<const std::byte> bytes, F&& on_packet) {
    if (error_) return Failure{error_};
    input_ = bytes;
    for (;;) {
      auto next_packet = next();
      if (!next_packet) {
        input_ = {};
        return Failure{next_packet.error()};
      }
      if (!*next_packet) break;  // next() keeps any partial packet and empties input_
      if (!on_packet(std::move(**next_packet))) break;
    }
    input_ = {};
    return {};
  }

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

  // After next() failed: the packet type named by the first byte of the packet it failed on
  // (0 when there was none yet), so that a second CONNECT is known as such however it is broken.
  [[nodiscard]] std::uint8_t failed_packet_type() const noexcept { return failed_type_; }

  // Bytes received but not yet returned as packets.
  [[nodiscard]] std::size_t buffered() const noexcept {
    return buffer_.size() - start_ + input_.size();
  }

 private:
  DecodeOptions options_;
  // Moves bytes from input_ to buffer_ until it holds `size` undecoded bytes (or input_ runs out).
  void top_up(std::size_t size);
  Result<std::optional<Packet>> fail_with(std::error_code ec, std::span<const std::byte> pending);
  Result<std::optional<Packet>> finish(Result<Decoded> decoded, std::span<const std::byte> pending);

  std::vector<std::byte> buffer_;     // fed bytes, or the start of a packet split across reads
  std::size_t start_ = 0;             // first byte of buffer_ not yet decoded
  std::span<const std::byte> input_;  // borrowed, only during consume()
  std::error_code error_;
  std::optional<std::uint8_t> refused_level_;
  std::uint8_t failed_type_ = 0;
};

}  // namespace gw::broker::protocol

// WebSocket framing (RFC 6455 §5), server side, sans-I/O: WsFrameDecoder turns the bytes a client
// sends into the payload of its binary messages and its control frames; append_ws_frame() writes a
// frame. Neither touches a socket (STYLE: the codec never touches sockets).
//
// The decoder streams: payload bytes are unmasked and handed on as they arrive, so a frame is never
// buffered whole and an MQTT packet may span frames while one frame may carry several packets
// (MQTT 5 §6: "the receiver MUST NOT assume that MQTT Control Packets are aligned on WebSocket
// frame boundaries" [MQTT-6.0.0-2]). Only a control frame's payload (at most 125 bytes) is kept.
//
//   WsFrameDecoder dec(max_packet_size);
//   if (auto r = dec.consume(bytes, scratch, sink); !r) close_with(r.error().value());
//
// Ownership: the decoder owns its fixed-size state; it keeps no view of its input.
// Thread safety: none; one connection, one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/net/ws_close_code.hpp"
#include "core/result.hpp"

namespace gw::broker::net {

// RFC 6455 §5.2 opcodes.
enum class WsOpcode : std::uint8_t {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xA,
};

// Writes one frame: FIN set unless `fin` is false, masked with `mask` when given (clients mask,
// servers never do: RFC 6455 §5.1), length in the shortest form (§5.2).
void append_ws_frame(std::vector<std::byte>& out, WsOpcode opcode, std::span<const std::byte> payload,
                     std::optional<std::array<std::byte, 4>> mask = std::nullopt, bool fin = true);
// The header of an unmasked final frame of `payload_size` bytes, written into `out`; returns its
// length (2, 4 or 10). The payload follows it on the wire.
using WsFrameHeader = std::array<std::byte, 10>;
std::size_t write_ws_frame_header(WsFrameHeader& out, WsOpcode opcode, std::uint64_t payload_size);

// What the decoder reports. Calls happen inside consume(), in stream order.
class WsFrameSink {
 public:
  virtual ~WsFrameSink() = default;
  // Unmasked payload bytes of a binary message (its first frame or a continuation); a piece of a
  // frame; never called with zero bytes.
  virtual void on_ws_binary(std::span<const std::byte> payload) = 0;
  // A Ping with its application data: answer with a Pong carrying the same (§5.5.2).
  virtual void on_ws_ping(std::span<const std::byte> payload) = 0;
  // The peer's Close: its status code (NoStatus when it sent none) and reason text. The decoder
  // ignores everything after it (§5.5.1).
  virtual void on_ws_close(std::uint16_t code, std::string_view reason) = 0;
};

class WsFrameDecoder {
 public:
  // `max_frame_payload`: the largest data frame accepted; the broker passes its max_packet_size,
  // so a frame can never announce more than the largest packet it could be part of.
  explicit WsFrameDecoder(std::uint64_t max_frame_payload) : max_frame_payload_(max_frame_payload) {}

  // Decodes all of `bytes`, unmasking data through `scratch` (any size > 0; reused, shared by the
  // caller's connections). Pong frames are accepted and ignored (§5.5.3).
  // Errors (sticky; the connection must then be closed with the error's value as the code):
  //   ProtocolError   an unmasked client frame (§5.1), reserved bits or opcodes, a control frame
  //                   that is fragmented or longer than 125 bytes (§5.5), a continuation without
  //                   a message or a new message inside one (§5.4), a 64-bit length with its top
  //                   bit set, a Close with a 1-byte body or an invalid status code (§7.4);
  //   UnsupportedData a text frame: MQTT travels in binary frames only [MQTT-6.0.0-1];
  //   MessageTooBig   a data frame longer than max_frame_payload.
  // reason() tells which rule, for the log.
  Result<void> consume(std::span<const std::byte> bytes, std::span<std::byte> scratch,
                       WsFrameSink& sink);

  [[nodiscard]] std::string_view reason() const { return reason_; }
  // A Close frame arrived; further input is ignored.
  [[nodiscard]] bool closed() const { return closed_; }

 private:
  Failure fail_with(WsCloseCode code, std::string_view why);
  Result<void> on_header_start();
  Result<void> on_header_done();
  Result<void> on_control_done(WsFrameSink& sink);

  std::uint64_t max_frame_payload_;
  std::array<std::byte, 14> header_{};  // 2 + up to 8 length bytes + 4 mask bytes
  std::size_t header_have_ = 0;
  std::size_t header_need_ = 2;
  bool in_payload_ = false;
  bool fin_ = false;
  WsOpcode opcode_ = WsOpcode::Binary;
  std::array<std::byte, 4> mask_{};
  std::uint64_t remaining_ = 0;  // payload bytes of the current frame still to come
  std::uint64_t offset_ = 0;     // payload bytes of the current frame seen (mask phase)
  bool in_message_ = false;      // a fragmented binary message is open
  std::array<std::byte, 125> control_{};
  std::size_t control_have_ = 0;
  bool closed_ = false;
  std::error_code error_;
  std::string_view reason_;  // points at string literals only
};

}  // namespace gw::broker::net

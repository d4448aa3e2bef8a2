#include "broker/net/ws_frame.hpp"

#include <algorithm>

namespace gw::broker::net {

namespace {

constexpr std::byte kFin{0x80};
constexpr std::byte kMaskBit{0x80};

bool is_control(WsOpcode op) { return (static_cast<std::uint8_t>(op) & 0x08) != 0; }

// RFC 6455 §7.4: codes a peer may send. 1005, 1006 and 1015 are for reporting only, never sent.
bool valid_close_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}

void append_length(std::vector<std::byte>& out, std::byte first, std::uint64_t n) {
  if (n < 126) {
    out.push_back(first | static_cast<std::byte>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(first | std::byte{126});
    out.push_back(static_cast<std::byte>(n >> 8));
    out.push_back(static_cast<std::byte>(n));
  } else {
    out.push_back(first | std::byte{127});
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::byte>(n >> shift));
  }
}

}  // namespace

void append_ws_frame(std::vector<std::byte>& out, WsOpcode opcode, std::span<const std::byte> payload,
                     std::optional<std::array<std::byte, 4>> mask, bool fin) {
  out.push_back((fin ? kFin : std::byte{0}) | static_cast<std::byte>(opcode));
  append_length(out, mask ? kMaskBit : std::byte{0}, payload.size());
  if (!mask) {
    out.insert(out.end(), payload.begin(), payload.end());
    return;
  }
  out.insert(out.end(), mask->begin(), mask->end());
  for (std::size_t i = 0; i < payload.size(); ++i) out.push_back(payload[i] ^ (*mask)[i % 4]);
}

std::size_t write_ws_frame_header(WsFrameHeader& out, WsOpcode opcode, std::uint64_t payload_size) {
  out[0] = kFin | static_cast<std::byte>(opcode);
  if (payload_size < 126) {
    out[1] = static_cast<std::byte>(payload_size);
    return 2;
  }
  if (payload_size <= 0xFFFF) {
    out[1] = std::byte{126};
    out[2] = static_cast<std::byte>(payload_size >> 8);
    out[3] = static_cast<std::byte>(payload_size);
    return 4;
  }
  out[1] = std::byte{127};
  for (std::size_t i = 0; i < 8; ++i) out[2 + i] = static_cast<std::byte>(payload_size >> (56 - 8 * i));
  return 10;
}

Failure WsFrameDecoder::fail_with(WsCloseCode code, std::string_view why) {
  error_ = make_error_code(code);
  reason_ = why;
  return Failure{error_};
}

// The first two bytes are in: check what they alone decide, and how long the header is.
Result<void> WsFrameDecoder::on_header_start() {
  const auto b0 = std::to_integer<std::uint8_t>(header_[0]);
  const auto b1 = std::to_integer<std::uint8_t>(header_[1]);
  fin_ = (b0 & 0x80) != 0;
  if ((b0 & 0x70) != 0) return fail_with(WsCloseCode::ProtocolError, "reserved bits set (no extension was negotiated)");
  const auto op = static_cast<std::uint8_t>(b0 & 0x0F);
  switch (op) {
    case 0x0: case 0x1: case 0x2: case 0x8: case 0x9: case 0xA: break;
    default: return fail_with(WsCloseCode::ProtocolError, "reserved opcode");
  }
  opcode_ = static_cast<WsOpcode>(op);
  // RFC 6455 §5.1: the server MUST close the connection when a client frame is not masked.
  if ((b1 & 0x80) == 0) return fail_with(WsCloseCode::ProtocolError, "client frame not masked");
  const auto len7 = static_cast<std::uint8_t>(b1 & 0x7F);
  if (is_control(opcode_)) {
    // §5.5: control frames carry at most 125 bytes and are never fragmented.
    if (!fin_) return fail_with(WsCloseCode::ProtocolError, "fragmented control frame");
    if (len7 > 125) return fail_with(WsCloseCode::ProtocolError, "control frame longer than 125 bytes");
  } else if (opcode_ == WsOpcode::Text) {
    return fail_with(WsCloseCode::UnsupportedData, "text frame (MQTT uses binary frames)");
  } else if (opcode_ == WsOpcode::Continuation && !in_message_) {
    return fail_with(WsCloseCode::ProtocolError, "continuation frame without a message");
  } else if (opcode_ == WsOpcode::Binary && in_message_) {
    return fail_with(WsCloseCode::ProtocolError, "new message before the last one ended");
  }
  header_need_ = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
  return {};
}

Result<void> WsFrameDecoder::on_header_done() {
  const auto len7 = std::to_integer<std::uint8_t>(header_[1]) & 0x7F;
  std::size_t at = 2;
  std::uint64_t length = len7;
  if (len7 == 126 || len7 == 127) {
    const std::size_t n = len7 == 126 ? 2 : 8;
    length = 0;
    for (std::size_t i = 0; i < n; ++i) length = (length << 8) | std::to_integer<std::uint64_t>(header_[at + i]);
    at += n;
    // §5.2: the most significant bit of a 64-bit length MUST be 0.
    if (n == 8 && (length >> 63) != 0) return fail_with(WsCloseCode::ProtocolError, "64-bit length with the top bit set");
  }
  if (!is_control(opcode_) && length > max_frame_payload_) {
    return fail_with(WsCloseCode::MessageTooBig, "frame longer than max_packet_size");
  }
  std::copy_n(header_.begin() + static_cast<std::ptrdiff_t>(at), 4, mask_.begin());
  remaining_ = length;
  offset_ = 0;
  control_have_ = 0;
  in_payload_ = true;
  if (!is_control(opcode_)) in_message_ = !fin_;
  return {};
}

Result<void> WsFrameDecoder::on_control_done(WsFrameSink& sink) {
  const std::span<const std::byte> payload(control_.data(), control_have_);
  switch (opcode_) {
    case WsOpcode::Ping: sink.on_ws_ping(payload); break;
    case WsOpcode::Pong: break;  // unsolicited or an answer: either way nothing to do (§5.5.3)
    case WsOpcode::Close: {
      std::uint16_t code = static_cast<std::uint16_t>(WsCloseCode::NoStatus);
      std::string_view reason;
      if (payload.size() == 1) return fail_with(WsCloseCode::ProtocolError, "Close frame with a 1-byte body");
      if (payload.size() >= 2) {
        code = static_cast<std::uint16_t>((std::to_integer<unsigned>(payload[0]) << 8) |
                                          std::to_integer<unsigned>(payload[1]));
        if (!valid_close_code(code)) return fail_with(WsCloseCode::ProtocolError, "invalid close code");
        reason = std::string_view(reinterpret_cast<const char*>(payload.data()) + 2, payload.size() - 2);
      }
      closed_ = true;
      sink.on_ws_close(code, reason);
      break;
    }
    default: break;
  }
  return {};
}

Result<void> WsFrameDecoder::consume(std::span<const std::byte> bytes, std::span<std::byte> scratch,
                                     WsFrameSink& sink) {
  if (error_) return Failure{error_};
  while (!bytes.empty() && !closed_) {
    if (!in_payload_) {
      const std::size_t take = std::min(header_need_ - header_have_, bytes.size());
      std::copy_n(bytes.begin(), take, header_.begin() + static_cast<std::ptrdiff_t>(header_have_));
      header_have_ += take;
      bytes = bytes.subspan(take);
      if (header_have_ < header_need_) continue;
      if (header_have_ == 2) {
        GW_TRY_VOID(on_header_start());
        if (header_have_ < header_need_) continue;
      }
      GW_TRY_VOID(on_header_done());
    }
    // Payload: unmask what is here (§5.3: byte i is XORed with mask byte i mod 4).
    const std::size_t avail = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
    if (is_control(opcode_)) {
      for (std::size_t i = 0; i < avail; ++i) control_[control_have_++] = bytes[i] ^ mask_[(offset_ + i) % 4];
      offset_ += avail;
      remaining_ -= avail;
      bytes = bytes.subspan(avail);
    } else {
      std::size_t done = 0;
      while (done < avail) {
        const std::size_t n = std::min(avail - done, scratch.size());
        for (std::size_t i = 0; i < n; ++i) scratch[i] = bytes[done + i] ^ mask_[(offset_ + i) % 4];
        offset_ += n;
        remaining_ -= n;
        done += n;
        sink.on_ws_binary(scratch.first(n));
      }
      bytes = bytes.subspan(avail);
    }
    if (remaining_ == 0) {  // frame complete
      in_payload_ = false;
      header_have_ = 0;
      header_need_ = 2;
      if (is_control(opcode_)) GW_TRY_VOID(on_control_done(sink));
    }
  }
  return {};
}

}  // namespace gw::broker::net

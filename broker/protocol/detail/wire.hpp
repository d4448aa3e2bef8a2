// Internal to the codec, not part of the public API: Reader (bounds-checked cursor over input
// bytes) and Writer (writes into a region the caller sized, or only counts, so that
// encoded_size and encode share one code path and cannot disagree).
//
// Ownership: Reader borrows the input span and hands out views into it; Writer borrows the
// output region. Neither outlives the call that creates it.
// Thread safety: single-threaded values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "broker/protocol/utf8.hpp"
#include "core/check.hpp"
#include "core/mqtt_errc.hpp"
#include "core/result.hpp"

namespace gw::broker::protocol::detail {

inline constexpr std::uint32_t kMaxVbi = 268'435'455;
inline constexpr std::size_t kMaxStringLength = 65535;

[[nodiscard]] constexpr std::size_t vbi_size(std::uint32_t v) noexcept {
  return v < 128 ? 1 : v < 16'384 ? 2 : v < 2'097'152 ? 3 : 4;
}

class Reader {
 public:
  explicit Reader(std::span<const std::byte> data) noexcept : data_(data) {}

  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
  [[nodiscard]] bool empty() const noexcept { return pos_ == data_.size(); }

  // All reads fail with MalformedPacket when the input ends first.
  Result<std::uint8_t> u8() noexcept {
    if (remaining() < 1) return fail(MqttErrc::MalformedPacket);
    return std::to_integer<std::uint8_t>(data_[pos_++]);
  }
  Result<std::uint16_t> u16() noexcept {
    if (remaining() < 2) return fail(MqttErrc::MalformedPacket);
    const auto v = static_cast<std::uint16_t>((at(0) << 8) | at(1));
    pos_ += 2;
    return v;
  }
  Result<std::uint32_t> u32() noexcept {
    if (remaining() < 4) return fail(MqttErrc::MalformedPacket);
    const std::uint32_t v = (std::uint32_t{at(0)} << 24) | (std::uint32_t{at(1)} << 16) |
                            (std::uint32_t{at(2)} << 8) | std::uint32_t{at(3)};
    pos_ += 4;
    return v;
  }
  // MQTT 5 §1.5.5 Variable Byte Integer: at most 4 bytes, and [MQTT-1.5.5-1] the minimum number
  // of bytes; anything else is a Malformed Packet.
  Result<std::uint32_t> vbi() noexcept {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      if (remaining() < 1) return fail(MqttErrc::MalformedPacket);
      const std::uint8_t b = at(0);
      ++pos_;
      value |= std::uint32_t{b & 0x7Fu} << (7 * i);
      if ((b & 0x80) == 0) {
        if (i > 0 && b == 0) return fail(MqttErrc::MalformedPacket);  // not minimal
        return value;
      }
    }
    return fail(MqttErrc::MalformedPacket);  // a fifth byte would be needed
  }
  // `n` raw bytes as a view.
  Result<std::string_view> take(std::size_t n) noexcept {
    if (remaining() < n) return fail(MqttErrc::MalformedPacket);
    const std::string_view v(reinterpret_cast<const char*>(data_.data()) + pos_, n);
    pos_ += n;
    return v;
  }
  // Everything left.
  std::string_view rest() noexcept {
    const std::string_view v(reinterpret_cast<const char*>(data_.data()) + pos_, remaining());
    pos_ = data_.size();
    return v;
  }
  // MQTT 5 §1.5.6 Binary Data: two-byte length, then bytes.
  Result<std::string_view> binary() noexcept {
    GW_TRY(n, u16());
    return take(n);
  }
  // MQTT 5 §1.5.4 UTF-8 Encoded String; [MQTT-1.5.4-1], [MQTT-1.5.4-2]: ill-formed UTF-8 or
  // U+0000 is a Malformed Packet.
  Result<std::string_view> utf8() noexcept {
    GW_TRY(s, binary());
    if (!is_valid_mqtt_utf8(s)) return fail(MqttErrc::MalformedPacket);
    return s;
  }
  // A Reader over the next `n` bytes, which this one skips.
  Result<Reader> sub(std::size_t n) noexcept {
    if (remaining() < n) return fail(MqttErrc::MalformedPacket);
    Reader r(data_.subspan(pos_, n));
    pos_ += n;
    return r;
  }

 private:
  [[nodiscard]] std::uint8_t at(std::size_t i) const noexcept {
    return std::to_integer<std::uint8_t>(data_[pos_ + i]);
  }
  std::span<const std::byte> data_;
  std::size_t pos_ = 0;
};

class Writer {
 public:
  Writer() = default;  // counts only
  // Writes at `out`, which must have room for everything written (the caller sized it with a
  // counting Writer first).
  explicit Writer(std::byte* out) noexcept : out_(out) {}

  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  void u8(std::uint8_t v) {
    if (out_ != nullptr) out_[size_] = std::byte{v};
    ++size_;
  }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u8(static_cast<std::uint8_t>(v >> 24));
    u8(static_cast<std::uint8_t>(v >> 16));
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void vbi(std::uint32_t v) {
    // A counting Writer may measure a packet too large to send (encoded_size(), for the caller to
    // refuse it); a writing one must never be handed one.
    GW_CHECK(out_ == nullptr || v <= kMaxVbi);
    do {
      std::uint8_t b = v & 0x7F;
      v >>= 7;
      if (v != 0) b |= 0x80;
      u8(b);
    } while (v != 0);
  }
  void raw(std::string_view bytes) {
    if (out_ != nullptr && !bytes.empty()) std::memcpy(out_ + size_, bytes.data(), bytes.size());
    size_ += bytes.size();
  }
  // Two-byte length and bytes: UTF-8 Encoded String or Binary Data (MQTT 5 §1.5.4, §1.5.6).
  void str(std::string_view s) {
    GW_CHECK(s.size() <= kMaxStringLength);
    u16(static_cast<std::uint16_t>(s.size()));
    raw(s);
  }

 private:
  std::byte* out_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace gw::broker::protocol::detail

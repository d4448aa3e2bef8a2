#include "broker/protocol/utf8.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace gw::broker::protocol {

bool is_valid_mqtt_utf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // Fast path: eight ASCII bytes without NUL at a time (topics are mostly ASCII).
    if (n - i >= 8) {
      std::uint64_t chunk;
      std::memcpy(&chunk, p + i, sizeof chunk);
      constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
      constexpr std::uint64_t kLow = 0x0101010101010101ULL;
      const bool ascii = (chunk & kHigh) == 0;
      const bool has_zero = ((chunk - kLow) & ~chunk & kHigh) != 0;
      if (ascii && !has_zero) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (c == 0) return false;  // [MQTT-1.5.4-2]: U+0000 is not allowed.
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t min = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      min = 0x80;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      min = 0x800;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      min = 0x10000;
      cp = c & 0x07;
    } else {
      return false;  // a continuation byte where a lead byte belongs, or 0xF8..0xFF
    }
    if (n - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const unsigned char cc = p[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min) return false;                       // overlong form
    if (cp > 0x10FFFF) return false;                  // beyond Unicode
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;   // [MQTT-1.5.4-1]: surrogates
    i += len;
  }
  return true;
}

}  // namespace gw::broker::protocol

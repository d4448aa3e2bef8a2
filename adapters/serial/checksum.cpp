#include "adapters/serial/checksum.hpp"

#include <optional>

#include "adapters/serial/serial_error.hpp"

namespace gw::adapters::serial {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

std::uint8_t byte_at(std::string_view s, std::size_t i) { return static_cast<std::uint8_t>(s[i]); }

// Bit-at-a-time CRCs: frames are short and this keeps every variant's definition visible.
std::uint16_t crc16_msb_first(std::string_view bytes, std::uint16_t poly, std::uint16_t init) {
  std::uint16_t crc = init;
  for (const char c : bytes) {
    crc = static_cast<std::uint16_t>(crc ^ (static_cast<std::uint8_t>(c) << 8));
    for (int b = 0; b < 8; ++b) {
      crc = (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ poly)
                                : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

// Reflected algorithm: `rpoly` is the bit-reversed polynomial (0xA001 for 0x8005).
std::uint16_t crc16_lsb_first(std::string_view bytes, std::uint16_t rpoly, std::uint16_t init) {
  std::uint16_t crc = init;
  for (const char c : bytes) {
    crc = static_cast<std::uint16_t>(crc ^ static_cast<std::uint8_t>(c));
    for (int b = 0; b < 8; ++b) {
      crc = (crc & 1) != 0 ? static_cast<std::uint16_t>((crc >> 1) ^ rpoly)
                           : static_cast<std::uint16_t>(crc >> 1);
    }
  }
  return crc;
}

std::optional<std::uint8_t> hex_value(char c) {
  if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
  if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
  if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
  return std::nullopt;
}

std::optional<std::string> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const auto hi = hex_value(text[i]);
    const auto lo = hex_value(text[i + 1]);
    if (!hi || !lo) return std::nullopt;
    out.push_back(static_cast<char>(*hi << 4 | *lo));
  }
  return out;
}

bool is_big_endian(const ChecksumOptions& o) {
  if (o.big_endian) return *o.big_endian;
  return !(o.kind == ChecksumKind::Crc16Modbus || o.kind == ChecksumKind::Crc16Kermit);
}

// The effective layout: Nmea is Xor in AsciiHex after '$'/'!' and before '*'.
ChecksumOptions effective(const ChecksumOptions& o) {
  if (o.kind != ChecksumKind::Nmea) return o;
  ChecksumOptions n;
  n.kind = ChecksumKind::Nmea;
  n.encoding = ChecksumEncoding::AsciiHex;
  n.skip_leading = 1;
  n.separator = "*";
  return n;
}

std::string encode_field(const ChecksumOptions& o, std::uint16_t value) {
  const std::size_t width = checksum_width(o.kind);
  std::string out;
  if (o.encoding == ChecksumEncoding::AsciiHex) {
    for (std::size_t i = width * 2; i-- > 0;) out.push_back(kHexDigits[(value >> (4 * i)) & 0xF]);
    return out;
  }
  if (width == 1) {
    out.push_back(static_cast<char>(value & 0xFF));
  } else if (is_big_endian(o)) {
    out.push_back(static_cast<char>(value >> 8));
    out.push_back(static_cast<char>(value & 0xFF));
  } else {
    out.push_back(static_cast<char>(value & 0xFF));
    out.push_back(static_cast<char>(value >> 8));
  }
  return out;
}

std::optional<std::uint16_t> decode_field(const ChecksumOptions& o, std::string_view field) {
  if (o.encoding == ChecksumEncoding::AsciiHex) {
    std::uint16_t v = 0;
    for (const char c : field) {
      const auto d = hex_value(c);
      if (!d) return std::nullopt;
      v = static_cast<std::uint16_t>(v << 4 | *d);
    }
    return v;
  }
  if (field.size() == 1) return byte_at(field, 0);
  return is_big_endian(o) ? static_cast<std::uint16_t>(byte_at(field, 0) << 8 | byte_at(field, 1))
                          : static_cast<std::uint16_t>(byte_at(field, 1) << 8 | byte_at(field, 0));
}

// The checksum over `covered`, decoding hex pairs first when asked.
Result<std::uint16_t> checksum_of(const ChecksumOptions& o, std::string_view covered) {
  if (!o.hex_data) return compute_checksum(o.kind, covered);
  const auto bytes = hex_decode(covered);
  if (!bytes) return fail(SerialErrc::BadChecksumField);
  return compute_checksum(o.kind, *bytes);
}

}  // namespace

std::uint8_t xor8(std::string_view bytes) {
  std::uint8_t x = 0;
  for (const char c : bytes) x = static_cast<std::uint8_t>(x ^ static_cast<std::uint8_t>(c));
  return x;
}

std::uint8_t sum8(std::string_view bytes) {
  std::uint8_t s = 0;
  for (const char c : bytes) s = static_cast<std::uint8_t>(s + static_cast<std::uint8_t>(c));
  return s;
}

std::uint8_t lrc8(std::string_view bytes) { return static_cast<std::uint8_t>(-sum8(bytes)); }

std::uint16_t crc16_modbus(std::string_view bytes) { return crc16_lsb_first(bytes, 0xA001, 0xFFFF); }
std::uint16_t crc16_ccitt_false(std::string_view bytes) {
  return crc16_msb_first(bytes, 0x1021, 0xFFFF);
}
std::uint16_t crc16_xmodem(std::string_view bytes) { return crc16_msb_first(bytes, 0x1021, 0x0000); }
std::uint16_t crc16_kermit(std::string_view bytes) { return crc16_lsb_first(bytes, 0x8408, 0x0000); }

std::uint16_t compute_checksum(ChecksumKind kind, std::string_view covered) {
  switch (kind) {
    case ChecksumKind::None: return 0;
    case ChecksumKind::Xor:
    case ChecksumKind::Nmea: return xor8(covered);
    case ChecksumKind::Sum8: return sum8(covered);
    case ChecksumKind::Lrc: return lrc8(covered);
    case ChecksumKind::Crc16Modbus: return crc16_modbus(covered);
    case ChecksumKind::Crc16Ccitt: return crc16_ccitt_false(covered);
    case ChecksumKind::Crc16Xmodem: return crc16_xmodem(covered);
    case ChecksumKind::Crc16Kermit: return crc16_kermit(covered);
  }
  return 0;
}

std::size_t checksum_width(ChecksumKind kind) {
  switch (kind) {
    case ChecksumKind::None: return 0;
    case ChecksumKind::Xor:
    case ChecksumKind::Sum8:
    case ChecksumKind::Lrc:
    case ChecksumKind::Nmea: return 1;
    case ChecksumKind::Crc16Modbus:
    case ChecksumKind::Crc16Ccitt:
    case ChecksumKind::Crc16Xmodem:
    case ChecksumKind::Crc16Kermit: return 2;
  }
  return 0;
}

std::size_t checksum_field_size(const ChecksumOptions& options) {
  const ChecksumOptions o = effective(options);
  const std::size_t w = checksum_width(o.kind);
  return o.encoding == ChecksumEncoding::AsciiHex ? 2 * w : w;
}

Result<void> verify_checksum(const ChecksumOptions& options, std::string_view frame) {
  if (options.kind == ChecksumKind::None) return {};
  const ChecksumOptions o = effective(options);
  const std::size_t field = checksum_field_size(o);
  const std::size_t fixed = o.skip_leading + o.separator.size() + field + o.trailing;
  if (frame.size() < fixed) return fail(SerialErrc::BadChecksumField);
  if (options.kind == ChecksumKind::Nmea && frame[0] != '$' && frame[0] != '!') {
    return fail(SerialErrc::BadChecksumField);
  }
  const std::size_t field_pos = frame.size() - o.trailing - field;
  const std::size_t sep_pos = field_pos - o.separator.size();
  if (frame.substr(sep_pos, o.separator.size()) != o.separator) {
    return fail(SerialErrc::BadChecksumField);
  }
  const auto sent = decode_field(o, frame.substr(field_pos, field));
  if (!sent) return fail(SerialErrc::BadChecksumField);
  GW_TRY(computed, checksum_of(o, frame.substr(o.skip_leading, sep_pos - o.skip_leading)));
  if (computed != *sent) return fail(SerialErrc::BadChecksum);
  return {};
}

Result<std::string> seal_checksum(const ChecksumOptions& options, std::string_view message) {
  std::string out(message);
  if (options.kind == ChecksumKind::None) return out;
  const ChecksumOptions o = effective(options);
  const std::string_view covered =
      message.size() > o.skip_leading ? message.substr(o.skip_leading) : std::string_view{};
  GW_TRY(value, checksum_of(o, covered));
  out += o.separator;
  out += encode_field(o, value);
  return out;
}

}  // namespace gw::adapters::serial

// adapters::serial checksums: the block checks serial instruments append to their frames, as pure
// functions over bytes, and verify()/seal() that locate the checksum field in a frame according to
// ChecksumOptions (options.hpp has the frame layout and each kind's exact definition; the CRC
// parameters are the Rocksoft/"CRC RevEng catalogue" ones, with their check values over
// "123456789").
//
// Bytes are passed as std::string_view (a frame is a std::string of raw bytes, NULs included).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/serial/options.hpp"
#include "core/result.hpp"

namespace gw::adapters::serial {

[[nodiscard]] std::uint8_t xor8(std::string_view bytes);
[[nodiscard]] std::uint8_t sum8(std::string_view bytes);
// Modbus over Serial Line V1.02 §2.5.2.1: LRC = -(sum of the bytes) mod 256.
[[nodiscard]] std::uint8_t lrc8(std::string_view bytes);
[[nodiscard]] std::uint16_t crc16_modbus(std::string_view bytes);
[[nodiscard]] std::uint16_t crc16_ccitt_false(std::string_view bytes);
[[nodiscard]] std::uint16_t crc16_xmodem(std::string_view bytes);
[[nodiscard]] std::uint16_t crc16_kermit(std::string_view bytes);

// The checksum of `covered` by `kind` (Nmea is Xor); 0 for None.
[[nodiscard]] std::uint16_t compute_checksum(ChecksumKind kind, std::string_view covered);

// Width of the checksum value in bytes: 0 (None), 1 (8-bit kinds) or 2 (CRC-16 kinds).
[[nodiscard]] std::size_t checksum_width(ChecksumKind kind);

// Bytes the checksum field takes in a frame: the width, doubled for AsciiHex (Nmea: 2).
[[nodiscard]] std::size_t checksum_field_size(const ChecksumOptions& options);

// Checks the checksum of `frame`. Errors: SerialErrc::BadChecksumField (frame too short for the
// layout, missing separator, non-hex field or covered bytes with hex_data), SerialErrc::BadChecksum.
// Always succeeds for ChecksumKind::None.
Result<void> verify_checksum(const ChecksumOptions& options, std::string_view frame);

// `message` (the skipped and covered bytes) followed by the separator and the checksum field
// (uppercase hex for AsciiHex); the trailing bytes are the caller's. For building commands and
// test frames. Errors: SerialErrc::BadChecksumField when hex_data is set and the covered bytes are
// not hex pairs.
Result<std::string> seal_checksum(const ChecksumOptions& options, std::string_view message);

}  // namespace gw::adapters::serial

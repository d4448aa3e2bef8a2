// adapters::serial checksums against published vectors: the CRC catalogue check values over
// "123456789", the Modbus RTU CRC of a real request, the LRC of the Modbus ASCII specification's
// example, and real NMEA 0183 sentences; then verify()/seal() on each frame layout.
#include "adapters/serial/checksum.hpp"

#include <gtest/gtest.h>

#include "adapters/serial/serial_error.hpp"

namespace gw::adapters::serial {
namespace {

using namespace std::string_literals;

const std::string kCheck = "123456789";
// Modbus RTU: read 1 holding register at 0 from unit 1 (01 03 00 00 00 01).
const std::string kReadRequest = "\x01\x03\x00\x00\x00\x01"s;
// The NMEA 0183 GGA example everyone quotes, checksum 0x47.
const std::string kGga = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47";
const std::string kRmc = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A";

TEST(SerialChecksum, MatchesCatalogueCheckValuesOver123456789) {
  EXPECT_EQ(crc16_modbus(kCheck), 0x4B37);
  EXPECT_EQ(crc16_ccitt_false(kCheck), 0x29B1);
  EXPECT_EQ(crc16_xmodem(kCheck), 0x31C3);
  EXPECT_EQ(crc16_kermit(kCheck), 0x2189);
  EXPECT_EQ(xor8(kCheck), 0x31);
  EXPECT_EQ(sum8(kCheck), 0xDD);  // 477 mod 256
  EXPECT_EQ(lrc8(kCheck), 0x23);  // -0xDD mod 256
}

TEST(SerialChecksum, ModbusCrcOfReadRequestIs0A84SentLowByteFirst) {
  EXPECT_EQ(crc16_modbus(kReadRequest), 0x0A84);
  ChecksumOptions o{.kind = ChecksumKind::Crc16Modbus, .encoding = ChecksumEncoding::Binary};
  auto framed = seal_checksum(o, kReadRequest);
  ASSERT_TRUE(framed);
  EXPECT_EQ(*framed, kReadRequest + "\x84\x0A"s);
  EXPECT_TRUE(verify_checksum(o, *framed));
  // Explicit big-endian puts the high byte first.
  o.big_endian = true;
  EXPECT_EQ(*seal_checksum(o, kReadRequest), kReadRequest + "\x0A\x84"s);
}

TEST(SerialChecksum, LrcOfModbusAsciiFrameMatchesTheSpecificationExample) {
  // Modbus over Serial Line V1.02 §2.5.2.1 example: unit 0x11, FC 03, address 0x006B, count 3.
  EXPECT_EQ(lrc8("\x11\x03\x00\x6B\x00\x03"s), 0x7E);
  const ChecksumOptions o{.kind = ChecksumKind::Lrc,
                          .encoding = ChecksumEncoding::AsciiHex,
                          .skip_leading = 1,
                          .hex_data = true};
  EXPECT_TRUE(verify_checksum(o, ":1103006B00037E"));
  EXPECT_TRUE(verify_checksum(o, ":1103006b00037e"));  // hex in either case
  EXPECT_TRUE(verify_checksum(o, ":010300000001FB"));
  EXPECT_EQ(verify_checksum(o, ":1103006B00037F").error(), SerialErrc::BadChecksum);
  EXPECT_EQ(verify_checksum(o, ":1103006B0003Z7").error(), SerialErrc::BadChecksumField);
  EXPECT_EQ(verify_checksum(o, ":1103006B0037E").error(), SerialErrc::BadChecksumField);  // odd
  EXPECT_EQ(*seal_checksum(o, ":1103006B0003"), ":1103006B00037E");
}

TEST(SerialChecksum, NmeaIsXorBetweenDollarAndStarAsTwoHexDigits) {
  const ChecksumOptions o{.kind = ChecksumKind::Nmea};
  EXPECT_TRUE(verify_checksum(o, kGga));
  EXPECT_TRUE(verify_checksum(o, kRmc));
  EXPECT_TRUE(verify_checksum(o, "!AIVDM,1,1,,A,13aEOK?P00PD2wVMdLDRhgvL289?,0*26"));
  std::string corrupt = kGga;
  corrupt[10] = '9';
  EXPECT_EQ(verify_checksum(o, corrupt).error(), SerialErrc::BadChecksum);
  EXPECT_EQ(verify_checksum(o, kGga.substr(0, kGga.size() - 3)).error(),
            SerialErrc::BadChecksumField);  // no "*hh"
  EXPECT_EQ(verify_checksum(o, "GPGGA,1*47").error(), SerialErrc::BadChecksumField);  // no '$'
  EXPECT_EQ(*seal_checksum(o, kGga.substr(0, kGga.size() - 3)), kGga);
}

TEST(SerialChecksum, BinaryXorAfterEtxCoversEverythingButStx) {
  // STX "12.5" ETX BCC, BCC = XOR of "12.5" and ETX.
  const ChecksumOptions o{.kind = ChecksumKind::Xor,
                          .encoding = ChecksumEncoding::Binary,
                          .skip_leading = 1};
  const std::string frame = "\x02" "12.5\x03\x1B"s;
  EXPECT_TRUE(verify_checksum(o, frame));
  EXPECT_EQ(*seal_checksum(o, "\x02" "12.5\x03"s), frame);
  EXPECT_EQ(verify_checksum(o, "\x02" "12.6\x03\x1B"s).error(), SerialErrc::BadChecksum);
}

TEST(SerialChecksum, TrailingBytesAndSeparatorAreNotCovered) {
  // STX "STX" ";" sum-hex ETX: covered = "STX" (0xFF), field "FF", ETX trailing.
  const ChecksumOptions o{.kind = ChecksumKind::Sum8,
                          .encoding = ChecksumEncoding::AsciiHex,
                          .skip_leading = 1,
                          .trailing = 1,
                          .separator = ";"};
  EXPECT_TRUE(verify_checksum(o, "\x02STX;FF\x03"));
  EXPECT_EQ(verify_checksum(o, "\x02STX:FF\x03").error(), SerialErrc::BadChecksumField);
  EXPECT_EQ(verify_checksum(o, "\x02STX;FE\x03").error(), SerialErrc::BadChecksum);
  EXPECT_EQ(verify_checksum(o, "\x02;F").error(), SerialErrc::BadChecksumField);  // too short
}

TEST(SerialChecksum, Crc16CcittAsciiHexIsFourDigitsMostSignificantFirst) {
  const ChecksumOptions o{.kind = ChecksumKind::Crc16Ccitt, .encoding = ChecksumEncoding::AsciiHex};
  EXPECT_EQ(checksum_field_size(o), 4U);
  EXPECT_EQ(*seal_checksum(o, kCheck), kCheck + "29B1");
  EXPECT_TRUE(verify_checksum(o, kCheck + "29b1"));
  EXPECT_EQ(verify_checksum(o, kCheck + "B129").error(), SerialErrc::BadChecksum);
}

TEST(SerialChecksum, NoneAcceptsEverything) {
  EXPECT_TRUE(verify_checksum(ChecksumOptions{}, ""));
  EXPECT_TRUE(verify_checksum(ChecksumOptions{}, "anything"));
}

TEST(SerialChecksum, BadChecksumIsBadCrcQuality) {
  EXPECT_EQ(quality_of(make_error_code(SerialErrc::BadChecksum)), Quality::BadCrc);
  EXPECT_EQ(quality_of(make_error_code(SerialErrc::Timeout)), Quality::BadTimeout);
  EXPECT_FALSE(is_connection_error(make_error_code(SerialErrc::BadChecksum)));
  EXPECT_TRUE(is_connection_error(std::make_error_code(std::errc::io_error)));
}

}  // namespace
}  // namespace gw::adapters::serial

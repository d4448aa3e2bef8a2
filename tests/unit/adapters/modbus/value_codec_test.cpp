#include "adapters/modbus/value_codec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

namespace gw::adapters::modbus {
namespace {

using Regs = std::vector<std::uint16_t>;

PointOptions point_of(DataType type, std::uint16_t length = 0) {
  PointOptions p;
  p.name = "p";
  p.type = type;
  p.length = length;
  return p;
}

// One known register image per type and byte order; docs/modbus.md shows the same values.
struct Image {
  DataType type;
  std::uint16_t length;  // strings only
  ByteOrder order;
  Regs regs;
  Value value;
};

std::string name_of(ByteOrder o) {
  switch (o) {
    case ByteOrder::ABCD: return "ABCD";
    case ByteOrder::BADC: return "BADC";
    case ByteOrder::CDAB: return "CDAB";
    case ByteOrder::DCBA: return "DCBA";
  }
  return "?";
}

constexpr auto ABCD = ByteOrder::ABCD;
constexpr auto BADC = ByteOrder::BADC;
constexpr auto CDAB = ByteOrder::CDAB;
constexpr auto DCBA = ByteOrder::DCBA;

const std::vector<Image>& images() {
  static const std::vector<Image> kImages = {
      // float32 123.456f = 0x42F6E979
      {DataType::Float32, 0, ABCD, {0x42F6, 0xE979}, Value{double{123.456f}}},
      {DataType::Float32, 0, BADC, {0xF642, 0x79E9}, Value{double{123.456f}}},
      {DataType::Float32, 0, CDAB, {0xE979, 0x42F6}, Value{double{123.456f}}},
      {DataType::Float32, 0, DCBA, {0x79E9, 0xF642}, Value{double{123.456f}}},
      // float64 pi = 0x400921FB54442D18
      {DataType::Float64, 0, ABCD, {0x4009, 0x21FB, 0x5444, 0x2D18}, Value{std::numbers::pi}},
      {DataType::Float64, 0, BADC, {0x0940, 0xFB21, 0x4454, 0x182D}, Value{std::numbers::pi}},
      {DataType::Float64, 0, CDAB, {0x2D18, 0x5444, 0x21FB, 0x4009}, Value{std::numbers::pi}},
      {DataType::Float64, 0, DCBA, {0x182D, 0x4454, 0xFB21, 0x0940}, Value{std::numbers::pi}},
      // int32 -123456789 = 0xF8A432EB
      {DataType::Int32, 0, ABCD, {0xF8A4, 0x32EB}, Value{std::int64_t{-123456789}}},
      {DataType::Int32, 0, BADC, {0xA4F8, 0xEB32}, Value{std::int64_t{-123456789}}},
      {DataType::Int32, 0, CDAB, {0x32EB, 0xF8A4}, Value{std::int64_t{-123456789}}},
      {DataType::Int32, 0, DCBA, {0xEB32, 0xA4F8}, Value{std::int64_t{-123456789}}},
      // uint32 3000000000 = 0xB2D05E00 (above INT32_MAX: must not come out negative)
      {DataType::Uint32, 0, ABCD, {0xB2D0, 0x5E00}, Value{std::uint64_t{3000000000}}},
      {DataType::Uint32, 0, BADC, {0xD0B2, 0x005E}, Value{std::uint64_t{3000000000}}},
      {DataType::Uint32, 0, CDAB, {0x5E00, 0xB2D0}, Value{std::uint64_t{3000000000}}},
      {DataType::Uint32, 0, DCBA, {0x005E, 0xD0B2}, Value{std::uint64_t{3000000000}}},
      // int64 -1234567890123456789 = 0xEEDDEF0B82167EEB
      {DataType::Int64, 0, ABCD, {0xEEDD, 0xEF0B, 0x8216, 0x7EEB},
       Value{std::int64_t{-1234567890123456789}}},
      {DataType::Int64, 0, BADC, {0xDDEE, 0x0BEF, 0x1682, 0xEB7E},
       Value{std::int64_t{-1234567890123456789}}},
      {DataType::Int64, 0, CDAB, {0x7EEB, 0x8216, 0xEF0B, 0xEEDD},
       Value{std::int64_t{-1234567890123456789}}},
      {DataType::Int64, 0, DCBA, {0xEB7E, 0x1682, 0x0BEF, 0xDDEE},
       Value{std::int64_t{-1234567890123456789}}},
      // uint64 0x0123456789ABCDEF = 81985529216486895
      {DataType::Uint64, 0, ABCD, {0x0123, 0x4567, 0x89AB, 0xCDEF},
       Value{std::uint64_t{0x0123456789ABCDEF}}},
      {DataType::Uint64, 0, BADC, {0x2301, 0x6745, 0xAB89, 0xEFCD},
       Value{std::uint64_t{0x0123456789ABCDEF}}},
      {DataType::Uint64, 0, CDAB, {0xCDEF, 0x89AB, 0x4567, 0x0123},
       Value{std::uint64_t{0x0123456789ABCDEF}}},
      {DataType::Uint64, 0, DCBA, {0xEFCD, 0xAB89, 0x6745, 0x2301},
       Value{std::uint64_t{0x0123456789ABCDEF}}},
      // uint64 above INT64_MAX stays exact
      {DataType::Uint64, 0, ABCD, {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE},
       Value{std::uint64_t{0xFFFFFFFFFFFFFFFE}}},
      // int16 -1234 = 0xFB2E: only the byte swap matters
      {DataType::Int16, 0, ABCD, {0xFB2E}, Value{std::int64_t{-1234}}},
      {DataType::Int16, 0, BADC, {0x2EFB}, Value{std::int64_t{-1234}}},
      {DataType::Int16, 0, CDAB, {0xFB2E}, Value{std::int64_t{-1234}}},
      {DataType::Int16, 0, DCBA, {0x2EFB}, Value{std::int64_t{-1234}}},
      // uint16 48879 = 0xBEEF
      {DataType::Uint16, 0, ABCD, {0xBEEF}, Value{std::uint64_t{48879}}},
      {DataType::Uint16, 0, BADC, {0xEFBE}, Value{std::uint64_t{48879}}},
      {DataType::Uint16, 0, CDAB, {0xBEEF}, Value{std::uint64_t{48879}}},
      {DataType::Uint16, 0, DCBA, {0xEFBE}, Value{std::uint64_t{48879}}},
      // BCD16 1234 = 0x1234
      {DataType::Bcd16, 0, ABCD, {0x1234}, Value{std::uint64_t{1234}}},
      {DataType::Bcd16, 0, BADC, {0x3412}, Value{std::uint64_t{1234}}},
      {DataType::Bcd16, 0, CDAB, {0x1234}, Value{std::uint64_t{1234}}},
      {DataType::Bcd16, 0, DCBA, {0x3412}, Value{std::uint64_t{1234}}},
      {DataType::Bcd16, 0, ABCD, {0x9999}, Value{std::uint64_t{9999}}},
      // BCD32 12345678 = 0x12345678
      {DataType::Bcd32, 0, ABCD, {0x1234, 0x5678}, Value{std::uint64_t{12345678}}},
      {DataType::Bcd32, 0, BADC, {0x3412, 0x7856}, Value{std::uint64_t{12345678}}},
      {DataType::Bcd32, 0, CDAB, {0x5678, 0x1234}, Value{std::uint64_t{12345678}}},
      {DataType::Bcd32, 0, DCBA, {0x7856, 0x3412}, Value{std::uint64_t{12345678}}},
      // "ABCDE" in 3 registers: odd length, NUL padded; the word swap never applies
      {DataType::String, 3, ABCD, {0x4142, 0x4344, 0x4500}, Value{std::string("ABCDE")}},
      {DataType::String, 3, BADC, {0x4241, 0x4443, 0x0045}, Value{std::string("ABCDE")}},
      {DataType::String, 3, CDAB, {0x4142, 0x4344, 0x4500}, Value{std::string("ABCDE")}},
      {DataType::String, 3, DCBA, {0x4241, 0x4443, 0x0045}, Value{std::string("ABCDE")}},
      // "XYZ" in 4 registers: a full register of NULs after it
      {DataType::String, 4, ABCD, {0x5859, 0x5A00, 0x0000, 0x0000}, Value{std::string("XYZ")}},
      {DataType::String, 1, ABCD, {0x0000}, Value{std::string()}},
      // Bool: one element per coil
      {DataType::Bool, 0, ABCD, {0x0001}, Value{true}},
      {DataType::Bool, 0, DCBA, {0x0000}, Value{false}},
  };
  return kImages;
}

std::string describe(const Image& im) {
  return "type=" + std::to_string(static_cast<int>(im.type)) + " order=" + name_of(im.order);
}

TEST(ValueCodecDecode, ReturnsKnownValueForEveryTypeAndByteOrder) {
  for (const Image& im : images()) {
    SCOPED_TRACE(describe(im));
    const auto v = decode_registers(point_of(im.type, im.length), im.order, im.regs);
    ASSERT_TRUE(v) << v.error().message();
    EXPECT_EQ(*v, im.value);
  }
}

TEST(ValueCodecEncode, ProducesKnownImageForEveryTypeAndByteOrder) {
  for (const Image& im : images()) {
    SCOPED_TRACE(describe(im));
    const auto regs = encode_registers(point_of(im.type, im.length), im.order, im.value);
    ASSERT_TRUE(regs) << regs.error().message();
    EXPECT_EQ(*regs, im.regs);
  }
}

TEST(ValueCodecEncode, RoundTripsThroughDecodeForEveryTypeAndByteOrder) {
  for (const Image& im : images()) {
    SCOPED_TRACE(describe(im));
    const PointOptions p = point_of(im.type, im.length);
    const auto regs = encode_registers(p, im.order, im.value);
    ASSERT_TRUE(regs);
    const auto back = decode_registers(p, im.order, *regs);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, im.value);
  }
}

TEST(ValueCodecEncode, RoundTripsTypeLimitsWhenValuesAreExtreme) {
  const std::vector<std::pair<DataType, Value>> cases = {
      {DataType::Int16, Value{std::int64_t{-32768}}},
      {DataType::Int16, Value{std::int64_t{32767}}},
      {DataType::Uint16, Value{std::uint64_t{65535}}},
      {DataType::Int32, Value{std::int64_t{std::numeric_limits<std::int32_t>::min()}}},
      {DataType::Uint32, Value{std::uint64_t{std::numeric_limits<std::uint32_t>::max()}}},
      {DataType::Int64, Value{std::numeric_limits<std::int64_t>::min()}},
      {DataType::Int64, Value{std::numeric_limits<std::int64_t>::max()}},
      {DataType::Uint64, Value{std::numeric_limits<std::uint64_t>::max()}},
      {DataType::Bcd32, Value{std::uint64_t{99999999}}},
      {DataType::Float32, Value{double{std::numeric_limits<float>::max()}}},
      {DataType::Float64, Value{-std::numeric_limits<double>::max()}},
  };
  for (const auto order : {ABCD, BADC, CDAB, DCBA}) {
    for (const auto& [type, value] : cases) {
      SCOPED_TRACE(describe({type, 0, order, {}, value}));
      const PointOptions p = point_of(type);
      const auto regs = encode_registers(p, order, value);
      ASSERT_TRUE(regs) << regs.error().message();
      const auto back = decode_registers(p, order, *regs);
      ASSERT_TRUE(back);
      EXPECT_EQ(*back, value);
    }
  }
}

TEST(ValueCodecDecode, ReadsBitOfRegisterValueWhateverTheByteOrder) {
  PointOptions p = point_of(DataType::Bit);
  const Regs regs = {0x8001};
  for (const auto order : {ABCD, BADC, CDAB, DCBA}) {
    SCOPED_TRACE(name_of(order));
    p.bit = 0;
    EXPECT_EQ(*decode_registers(p, order, regs), Value{true});
    p.bit = 15;
    EXPECT_EQ(*decode_registers(p, order, regs), Value{true});
    p.bit = 1;
    EXPECT_EQ(*decode_registers(p, order, regs), Value{false});
    p.bit = 8;
    EXPECT_EQ(*decode_registers(p, order, regs), Value{false});
  }
  p.bit = 8;
  EXPECT_EQ(*decode_registers(p, ABCD, Regs{0x0100}), Value{true});
  p.bit = 7;
  EXPECT_EQ(*decode_registers(p, ABCD, Regs{0x0080}), Value{true});
}

TEST(ValueCodecDecode, UsesPointByteOrderWhenItOverridesTheDevice) {
  PointOptions p = point_of(DataType::Float32);
  p.byte_order = CDAB;
  const auto v = decode_registers(p, ABCD, Regs{0xE979, 0x42F6});
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, Value{double{123.456f}});
  const auto regs = encode_registers(p, ABCD, Value{double{123.456f}});
  ASSERT_TRUE(regs);
  EXPECT_EQ(*regs, (Regs{0xE979, 0x42F6}));
}

TEST(ValueCodecDecode, TrimsTrailingNulsAndSpacesButKeepsLeadingAndEmbeddedOnes) {
  const PointOptions p = point_of(DataType::String, 4);
  // " A B  \0 " -> " A B"
  EXPECT_EQ(*decode_registers(p, ABCD, Regs{0x2041, 0x2042, 0x2020, 0x0020}),
            Value{std::string(" A B")});
  // "A\0B\0\0\0\0\0" -> "A\0B"
  EXPECT_EQ(*decode_registers(p, ABCD, Regs{0x4100, 0x4200, 0x0000, 0x0000}),
            Value{std::string("A\0B", 3)});
  // all spaces -> ""
  EXPECT_EQ(*decode_registers(p, ABCD, Regs{0x2020, 0x2020, 0x2020, 0x2020}),
            Value{std::string()});
}

TEST(ValueCodecDecode, FailsWithWrongLengthWhenRegisterCountDiffers) {
  const auto wrong = std::error_code(CodecErrc::WrongLength);
  EXPECT_EQ(decode_registers(point_of(DataType::Float32), ABCD, Regs{0x4148}).error(), wrong);
  EXPECT_EQ(decode_registers(point_of(DataType::Float32), ABCD, Regs{1, 2, 3}).error(), wrong);
  EXPECT_EQ(decode_registers(point_of(DataType::Uint16), ABCD, Regs{}).error(), wrong);
  EXPECT_EQ(decode_registers(point_of(DataType::Bit), ABCD, Regs{}).error(), wrong);
  EXPECT_EQ(decode_registers(point_of(DataType::Bool), ABCD, Regs{}).error(), wrong);
  EXPECT_EQ(decode_registers(point_of(DataType::Float64), ABCD, Regs{1, 2}).error(), wrong);
  EXPECT_EQ(decode_registers(point_of(DataType::String, 3), ABCD, Regs{1, 2}).error(), wrong);
  EXPECT_EQ(decode_registers(point_of(DataType::String, 3), ABCD, Regs{1, 2, 3, 4}).error(), wrong);
}

TEST(ValueCodecDecode, FailsWithNotANumberWhenFloatIsNanOrInfinite) {
  const auto nan = std::error_code(CodecErrc::NotANumber);
  const PointOptions f32 = point_of(DataType::Float32);
  EXPECT_EQ(decode_registers(f32, ABCD, Regs{0x7FC0, 0x0000}).error(), nan);  // quiet NaN
  EXPECT_EQ(decode_registers(f32, ABCD, Regs{0x7F80, 0x0001}).error(), nan);  // signalling NaN
  EXPECT_EQ(decode_registers(f32, ABCD, Regs{0x7F80, 0x0000}).error(), nan);  // +Inf
  EXPECT_EQ(decode_registers(f32, ABCD, Regs{0xFF80, 0x0000}).error(), nan);  // -Inf
  EXPECT_EQ(decode_registers(f32, CDAB, Regs{0x0000, 0x7F80}).error(), nan);  // +Inf word-swapped
  const PointOptions f64 = point_of(DataType::Float64);
  EXPECT_EQ(decode_registers(f64, ABCD, Regs{0x7FF8, 0, 0, 0}).error(), nan);
  EXPECT_EQ(decode_registers(f64, ABCD, Regs{0x7FF0, 0, 0, 0}).error(), nan);
  EXPECT_EQ(decode_registers(f64, DCBA, Regs{0, 0, 0, 0xF0FF}).error(), nan);  // -Inf
}

TEST(ValueCodecDecode, FailsWithBadBcdWhenANibbleIsAboveNine) {
  const auto bad = std::error_code(CodecErrc::BadBcd);
  EXPECT_EQ(decode_registers(point_of(DataType::Bcd16), ABCD, Regs{0x12A4}).error(), bad);
  EXPECT_EQ(decode_registers(point_of(DataType::Bcd16), ABCD, Regs{0xF000}).error(), bad);
  EXPECT_EQ(decode_registers(point_of(DataType::Bcd16), ABCD, Regs{0x000F}).error(), bad);
  EXPECT_EQ(decode_registers(point_of(DataType::Bcd32), ABCD, Regs{0x1234, 0x567B}).error(), bad);
  EXPECT_EQ(decode_registers(point_of(DataType::Bcd32), CDAB, Regs{0x5678, 0xC234}).error(), bad);
}

TEST(ValueCodecErrors, HaveTheirOwnCategoryAndAMessageEach) {
  for (const auto e : {CodecErrc::WrongLength, CodecErrc::NotANumber, CodecErrc::BadBcd,
                       CodecErrc::WrongType, CodecErrc::OutOfRange}) {
    const std::error_code ec = e;
    EXPECT_STREQ(ec.category().name(), "modbus.codec");
    EXPECT_FALSE(ec.message().empty());
    EXPECT_EQ(ec.message().find("unknown"), std::string::npos) << static_cast<int>(e);
  }
  EXPECT_EQ(std::error_code(CodecErrc::BadBcd).message(), "BCD digit above 9");
  EXPECT_NE(make_error_code(CodecErrc::WrongType), make_error_code(CodecErrc::OutOfRange));
  EXPECT_NE(std::error_code(CodecErrc::WrongLength),
            std::make_error_code(std::errc::invalid_argument));
}

TEST(ValueCodecEncode, FailsWithWrongTypeWhenValueKindDoesNotFitThePoint) {
  const auto wrong = std::error_code(CodecErrc::WrongType);
  EXPECT_EQ(encode_registers(point_of(DataType::Bit), ABCD, Value{true}).error(), wrong);
  EXPECT_EQ(encode_registers(point_of(DataType::Bool), ABCD, Value{std::int64_t{1}}).error(),
            wrong);
  EXPECT_EQ(encode_registers(point_of(DataType::Bool), ABCD, Value{std::string("on")}).error(),
            wrong);
  EXPECT_EQ(encode_registers(point_of(DataType::Int16), ABCD, Value{true}).error(), wrong);
  EXPECT_EQ(encode_registers(point_of(DataType::Float32), ABCD, Value{std::string("1")}).error(),
            wrong);
  EXPECT_EQ(encode_registers(point_of(DataType::Uint16), ABCD, Value{}).error(), wrong);
  EXPECT_EQ(encode_registers(point_of(DataType::String, 2), ABCD, Value{1.0}).error(), wrong);
}

TEST(ValueCodecEncode, FailsWithOutOfRangeWhenTypeCannotHoldTheValue) {
  const auto out = std::error_code(CodecErrc::OutOfRange);
  struct Case {
    DataType type;
    Value value;
  };
  const std::vector<Case> cases = {
      {DataType::Int16, Value{std::int64_t{32768}}},
      {DataType::Int16, Value{std::int64_t{-32769}}},
      {DataType::Int16, Value{32767.5}},  // rounds half away from zero to 32768
      {DataType::Uint16, Value{std::int64_t{-1}}},
      {DataType::Uint16, Value{std::uint64_t{65536}}},
      {DataType::Uint16, Value{-0.5}},  // rounds to -1
      {DataType::Int32, Value{std::int64_t{2147483648}}},
      {DataType::Uint32, Value{std::uint64_t{4294967296}}},
      {DataType::Int64, Value{std::uint64_t{9223372036854775808ULL}}},
      {DataType::Int64, Value{9.3e18}},
      {DataType::Uint64, Value{std::int64_t{-1}}},
      {DataType::Uint64, Value{1.9e19}},
      {DataType::Bcd16, Value{std::uint64_t{10000}}},
      {DataType::Bcd16, Value{std::int64_t{-1}}},
      {DataType::Bcd32, Value{std::uint64_t{100000000}}},
      {DataType::Float32, Value{1e39}},
      {DataType::Float32, Value{-1e39}},
      {DataType::Float32, Value{std::numeric_limits<double>::quiet_NaN()}},
      {DataType::Float64, Value{std::numeric_limits<double>::infinity()}},
      {DataType::Int32, Value{std::numeric_limits<double>::quiet_NaN()}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.type));
    const auto r = encode_registers(point_of(c.type), ABCD, c.value);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), out);
  }
}

TEST(ValueCodecEncode, ChecksMinAndMaxInclusiveOnTheEngineeringValue) {
  PointOptions p = point_of(DataType::Int16);
  p.scale = 0.1;
  p.min = -10.0;
  p.max = 50.0;
  const auto out = std::error_code(CodecErrc::OutOfRange);
  EXPECT_EQ(*encode_registers(p, ABCD, Value{50.0}), Regs{500});
  EXPECT_EQ(*encode_registers(p, ABCD, Value{std::int64_t{-10}}), Regs{0xFF9C});  // -100
  EXPECT_EQ(encode_registers(p, ABCD, Value{50.01}).error(), out);
  EXPECT_EQ(encode_registers(p, ABCD, Value{std::int64_t{-11}}).error(), out);
  EXPECT_EQ(encode_registers(p, ABCD, Value{std::uint64_t{51}}).error(), out);
}

TEST(ValueCodecEncode, ChecksTypeLimitsAfterTheInverseTransform) {
  PointOptions p = point_of(DataType::Int16);
  p.scale = 0.1;
  const auto out = std::error_code(CodecErrc::OutOfRange);
  EXPECT_EQ(*encode_registers(p, ABCD, Value{3276.7}), Regs{32767});
  EXPECT_EQ(encode_registers(p, ABCD, Value{3276.8}).error(), out);  // raw 32768
  p.scale = 100.0;
  p.type = DataType::Uint16;
  EXPECT_EQ(*encode_registers(p, ABCD, Value{std::int64_t{6553500}}), Regs{65535});
  EXPECT_EQ(encode_registers(p, ABCD, Value{std::int64_t{6553600}}).error(), out);
}

TEST(ValueCodecEncode, InvertsScaleAndOffsetAndRoundsToNearestForIntegerTypes) {
  PointOptions p = point_of(DataType::Int16);
  p.scale = 0.1;
  p.offset = -40.0;
  EXPECT_EQ(*encode_registers(p, ABCD, Value{21.5}), Regs{615});   // (21.5 + 40) / 0.1
  EXPECT_EQ(*encode_registers(p, ABCD, Value{21.54}), Regs{615});  // raw 615.4
  EXPECT_EQ(*encode_registers(p, ABCD, Value{21.56}), Regs{616});  // raw 615.6
  EXPECT_EQ(*encode_registers(p, ABCD, Value{-45.0}), Regs{0xFFCE});  // raw -50
  // Round trip through the published value.
  p.decimals = 1;
  const auto regs = encode_registers(p, BADC, Value{21.5});
  ASSERT_TRUE(regs);
  EXPECT_EQ(to_engineering(p, *decode_registers(p, BADC, *regs)), Value{21.5});
}

TEST(ValueCodecEncode, RoundsHalfAwayFromZeroWhenIntegerTypeGetsADouble) {
  const PointOptions p = point_of(DataType::Int32);
  EXPECT_EQ(*encode_registers(p, ABCD, Value{2.5}), (Regs{0, 3}));
  EXPECT_EQ(*encode_registers(p, ABCD, Value{-2.5}), (Regs{0xFFFF, 0xFFFD}));
  EXPECT_EQ(*encode_registers(p, ABCD, Value{2.4999}), (Regs{0, 2}));
  const PointOptions bcd = point_of(DataType::Bcd16);
  EXPECT_EQ(*encode_registers(bcd, ABCD, Value{1233.5}), Regs{0x1234});
}

TEST(ValueCodecEncode, InvertsNegativeScale) {
  PointOptions p = point_of(DataType::Int16);
  p.scale = -0.5;
  p.offset = 10.0;
  // published = raw * -0.5 + 10; -40 <- raw 100
  EXPECT_EQ(*encode_registers(p, ABCD, Value{-40.0}), Regs{100});
  EXPECT_EQ(to_engineering(p, Value{std::int64_t{100}}), Value{-40.0});
}

TEST(ValueCodecEncode, WritesIntegersExactlyWhenThereIsNoTransform) {
  const PointOptions p = point_of(DataType::Uint64);
  // 2^53 + 1 has no double; it must not go through one.
  EXPECT_EQ(*encode_registers(p, ABCD, Value{std::uint64_t{9007199254740993ULL}}),
            (Regs{0x0020, 0x0000, 0x0000, 0x0001}));
  const PointOptions i = point_of(DataType::Int64);
  EXPECT_EQ(*encode_registers(i, CDAB, Value{std::uint64_t{1}}), (Regs{1, 0, 0, 0}));
  const PointOptions f = point_of(DataType::Float32);
  EXPECT_EQ(*encode_registers(f, ABCD, Value{std::int64_t{-2}}), (Regs{0xC000, 0x0000}));
}

TEST(ValueCodecEncode, WritesZeroOrOneForBool) {
  const PointOptions p = point_of(DataType::Bool);
  EXPECT_EQ(*encode_registers(p, ABCD, Value{true}), Regs{1});
  EXPECT_EQ(*encode_registers(p, DCBA, Value{false}), Regs{0});
}

TEST(ValueCodecEncode, PadsStringsWithNulsAndRefusesOnesThatAreTooLong) {
  const PointOptions p = point_of(DataType::String, 2);
  EXPECT_EQ(*encode_registers(p, ABCD, Value{std::string("ABCD")}), (Regs{0x4142, 0x4344}));
  EXPECT_EQ(*encode_registers(p, BADC, Value{std::string("A")}), (Regs{0x0041, 0x0000}));
  EXPECT_EQ(*encode_registers(p, ABCD, Value{std::string()}), (Regs{0, 0}));
  EXPECT_EQ(*encode_registers(p, ABCD, Value{std::string("\xC3\xA9")}), (Regs{0xC3A9, 0}));
  EXPECT_EQ(encode_registers(p, ABCD, Value{std::string("ABCDE")}).error(),
            std::error_code(CodecErrc::OutOfRange));
}

TEST(ValueCodecEngineering, ReturnsRawValueWhenThereIsNoTransform) {
  const PointOptions p = point_of(DataType::Int32);
  EXPECT_EQ(to_engineering(p, Value{std::int64_t{-7}}), Value{std::int64_t{-7}});
  EXPECT_EQ(to_engineering(p, Value{std::uint64_t{0xFFFFFFFFFFFFFFFF}}),
            Value{std::uint64_t{0xFFFFFFFFFFFFFFFF}});
  EXPECT_EQ(to_engineering(p, Value{1.25}), Value{1.25});
}

TEST(ValueCodecEngineering, ScalesAndOffsetsToDoubleWhenTransformIsSet) {
  PointOptions p = point_of(DataType::Int16);
  p.scale = 0.1;
  EXPECT_EQ(to_engineering(p, Value{std::int64_t{1234}}), Value{1234 * 0.1});
  p.scale = 1.0;
  p.offset = -273.15;
  EXPECT_EQ(to_engineering(p, Value{std::uint64_t{300}}), Value{300 - 273.15});
  p.offset = 0.0;
  p.decimals = 0;  // decimals alone make it a double
  EXPECT_EQ(to_engineering(p, Value{std::int64_t{42}}), Value{42.0});
}

TEST(ValueCodecEngineering, NeverTransformsBoolsOrStrings) {
  PointOptions p = point_of(DataType::Bit);
  p.scale = 10.0;
  p.offset = 1.0;
  p.decimals = 2;
  EXPECT_EQ(to_engineering(p, Value{true}), Value{true});
  EXPECT_EQ(to_engineering(p, Value{std::string("x")}), Value{std::string("x")});
  EXPECT_EQ(to_engineering(p, Value{}), Value{});
}

TEST(ValueCodecEngineering, RoundsHalfAwayFromZeroWhenDecimalsAreSet) {
  PointOptions p = point_of(DataType::Int16);
  p.scale = 0.01;
  p.decimals = 1;
  EXPECT_EQ(to_engineering(p, Value{std::int64_t{125}}), Value{1.3});
  EXPECT_EQ(to_engineering(p, Value{std::int64_t{-125}}), Value{-1.3});
  EXPECT_EQ(to_engineering(p, Value{std::int64_t{124}}), Value{1.2});
  EXPECT_EQ(to_engineering(p, Value{std::int64_t{-124}}), Value{-1.2});
  p.scale = 1.0;
  p.decimals = 0;
  EXPECT_EQ(to_engineering(p, Value{2.5}), Value{3.0});
  EXPECT_EQ(to_engineering(p, Value{-2.5}), Value{-3.0});
  EXPECT_EQ(to_engineering(p, Value{2.4999}), Value{2.0});
}

TEST(ValueCodecEngineering, RoundsDecimalTiesWhenTheDoubleIsJustBelowThem) {
  PointOptions p = point_of(DataType::Float32);
  p.decimals = 2;
  // 1.005 is 1.00499999999999989... as a double; the configured rounding is a decimal one.
  EXPECT_EQ(to_engineering(p, Value{1.005}), Value{1.01});
  EXPECT_EQ(to_engineering(p, Value{-1.005}), Value{-1.01});
  EXPECT_EQ(to_engineering(p, Value{1.0049}), Value{1.0});
  // Rounding to zero gives +0, not -0.
  const Value zero = to_engineering(p, Value{-0.001});
  ASSERT_TRUE(std::holds_alternative<double>(zero));
  EXPECT_FALSE(std::signbit(std::get<double>(zero)));
}

TEST(ValueCodecEngineering, AppliesNegativeScaleBeforeRounding) {
  PointOptions p = point_of(DataType::Int16);
  p.scale = -0.5;
  p.offset = 0.25;
  p.decimals = 0;
  // 3 * -0.5 + 0.25 = -1.25 -> -1; 5 * -0.5 + 0.25 = -2.25 -> -2; 1 -> -0.25 -> 0
  EXPECT_EQ(to_engineering(p, Value{std::int64_t{3}}), Value{-1.0});
  EXPECT_EQ(to_engineering(p, Value{std::int64_t{5}}), Value{-2.0});
  EXPECT_EQ(to_engineering(p, Value{std::int64_t{-3}}), Value{2.0});
  p.offset = 0.0;
  EXPECT_EQ(to_engineering(p, Value{std::int64_t{3}}), Value{-2.0});  // -1.5 -> -2
}

TEST(ValueCodecEngineering, LeavesHugeValuesAloneWhenTheyHaveNoFraction) {
  PointOptions p = point_of(DataType::Uint64);
  p.decimals = 3;
  EXPECT_EQ(to_engineering(p, Value{1e300}), Value{1e300});
  EXPECT_EQ(to_engineering(p, Value{std::uint64_t{1} << 60}), Value{std::ldexp(1.0, 60)});
}

}  // namespace
}  // namespace gw::adapters::modbus

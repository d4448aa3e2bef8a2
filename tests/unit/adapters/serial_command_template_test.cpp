// adapters::serial::CommandTemplate: {value} in its forms, {checksum}, literal braces, type
// checks when rendering, and the parse errors a configuration can make.
#include "adapters/serial/command_template.hpp"

#include <gtest/gtest.h>

#include "adapters/serial/checksum.hpp"
#include "adapters/serial/serial_error.hpp"

namespace gw::adapters::serial {
namespace {

using namespace std::string_literals;

std::string render(std::string_view tmpl, const Value& v) {
  auto t = CommandTemplate::parse(tmpl);
  EXPECT_TRUE(t) << tmpl;
  auto r = t->render(v);
  EXPECT_TRUE(r) << tmpl << ": " << r.error().message();
  return r ? *r : std::string{};
}

TEST(SerialCommandTemplate, RendersFixedPointWithPrecision) {
  EXPECT_EQ(render("SETP {value:.2f}\r", Value{21.456}), "SETP 21.46\r");
  EXPECT_EQ(render("SETP {value:.0f}\r", Value{std::int64_t{7}}), "SETP 7\r");
  EXPECT_EQ(render("{value:08.3f}", Value{-1.5}), "-001.500");
}

TEST(SerialCommandTemplate, RendersIntegersDecimalAndHex) {
  EXPECT_EQ(render("S{value:d}", Value{std::int64_t{-12}}), "S-12");
  EXPECT_EQ(render("S{value:d}", Value{40.0}), "S40");  // integral double
  EXPECT_EQ(render("S{value:04d}", Value{std::uint64_t{7}}), "S0007");
  EXPECT_EQ(render("R{value:02X}", Value{std::int64_t{10}}), "R0A");
  EXPECT_EQ(render("R{value:x}", Value{std::int64_t{255}}), "Rff");
  EXPECT_EQ(render("B{value:d}", Value{true}), "B1");
}

TEST(SerialCommandTemplate, RendersValueAsIs) {
  EXPECT_EQ(render("V{value}\r\n", Value{21.5}), "V21.5\r\n");
  EXPECT_EQ(render("V{value}", Value{std::int64_t{3}}), "V3");
  EXPECT_EQ(render("V{value}", Value{false}), "V0");
  EXPECT_EQ(render("NAME {value}", Value{"pump 1"s}), "NAME pump 1");
  EXPECT_EQ(render("{{{value}}}", Value{std::int64_t{1}}), "{1}");
  EXPECT_EQ(render("\x02Z\x03", Value{}), "\x02Z\x03");  // no placeholder at all
}

TEST(SerialCommandTemplate, RefusesValuesTheFormatCannotShow) {
  auto d = CommandTemplate::parse("S{value:d}");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->render(Value{21.5}).error(), SerialErrc::WrongType);
  EXPECT_EQ(d->render(Value{"x"s}).error(), SerialErrc::WrongType);
  auto f = CommandTemplate::parse("S{value:.1f}");
  EXPECT_EQ(f->render(Value{true}).error(), SerialErrc::WrongType);
  auto x = CommandTemplate::parse("S{value:X}");
  EXPECT_EQ(x->render(Value{std::int64_t{-1}}).error(), SerialErrc::WrongType);
  auto plain = CommandTemplate::parse("S{value}");
  EXPECT_EQ(plain->render(Value{}).error(), SerialErrc::WrongType);
}

TEST(SerialCommandTemplate, ReportsParseErrorsWithOffset) {
  for (const char* bad : {"S{val}", "S{value", "S}", "S{value:.2d}", "S{value:f}", "S{value:.99f}",
                          "S{value:q}", "S{value:.2fx}"}) {
    std::string why;
    auto t = CommandTemplate::parse(bad, &why);
    EXPECT_FALSE(t) << bad;
    EXPECT_NE(why.find("offset"), std::string::npos) << bad << ": " << why;
  }
}

TEST(SerialCommandTemplate, ChecksumPlaceholderSealsNmeaCommands) {
  auto t = CommandTemplate::parse("$PMTK220,{value:d}*{checksum}\r\n");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->has_checksum());
  const ChecksumOptions nmea{.kind = ChecksumKind::Nmea};
  auto r = t->render(Value{std::int64_t{1000}}, nmea);
  ASSERT_TRUE(r) << r.error().message();
  // XOR of "PMTK220,1000" is 0x1F (the MTK manual's own example).
  EXPECT_EQ(*r, "$PMTK220,1000*1F\r\n");
  EXPECT_TRUE(verify_checksum(nmea, r->substr(0, r->size() - 2)));
  // The separator may be left to the layout.
  auto bare = CommandTemplate::parse("$PMTK220,{value:d}{checksum}\r\n");
  ASSERT_TRUE(bare);
  EXPECT_EQ(*bare->render(Value{std::int64_t{1000}}, nmea), "$PMTK220,1000*1F\r\n");
}

TEST(SerialCommandTemplate, ChecksumPlaceholderFollowsTheChecksumLayout) {
  // STX "S12.5" ETX BCC: XOR over everything after STX, ETX included, one binary byte.
  const ChecksumOptions bcc{.kind = ChecksumKind::Xor,
                            .encoding = ChecksumEncoding::Binary,
                            .skip_leading = 1};
  auto t = CommandTemplate::parse("\x02S{value:.1f}\x03{checksum}");
  ASSERT_TRUE(t);
  auto r = t->render(Value{12.5}, bcc);
  ASSERT_TRUE(r) << r.error().message();
  const std::string body = "S12.5\x03";
  EXPECT_EQ(*r, "\x02" + body + std::string(1, static_cast<char>(xor8(body))));
  EXPECT_TRUE(verify_checksum(bcc, *r));
}

TEST(SerialCommandTemplate, RefusesAChecksumWithAFormatOrTwice) {
  for (const char* bad : {"S{checksum:x}", "S{checksum}{checksum}"}) {
    std::string why;
    EXPECT_FALSE(CommandTemplate::parse(bad, &why)) << bad;
    EXPECT_NE(why.find("offset"), std::string::npos) << bad << ": " << why;
  }
}

}  // namespace
}  // namespace gw::adapters::serial

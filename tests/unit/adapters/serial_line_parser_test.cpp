// adapters::serial::LineParser and Regex: named captures turned into typed values with scale,
// offset and decimals; NMEA sentences with several patterns; unset and empty groups; text that
// is not a value of the point's type; and compile errors.
#include "adapters/serial/line_parser.hpp"

#include <gtest/gtest.h>

#include "adapters/serial/serial_error.hpp"

namespace gw::adapters::serial {
namespace {

using namespace std::string_literals;
using Values = std::vector<Result<Value>>;

PointOptions point(std::string name, ValueType type, std::string capture = {}) {
  PointOptions p;
  p.name = std::move(name);
  p.type = type;
  p.capture = std::move(capture);
  return p;
}

LineParser compile(std::string regex, std::vector<PointOptions> points) {
  auto p = LineParser::compile(PatternOptions{.name = "p", .regex = std::move(regex), .points = std::move(points)});
  EXPECT_TRUE(p) << p.error().message();
  return std::move(*p);
}

TEST(SerialLineParser, WeighScaleReplyGivesNumberAndString) {
  auto p = compile(R"(^\s*(?<weight>[-+]?\d+\.\d+)\s+(?<unit>\w+)$)",
                   {point("weight", ValueType::Number), point("weight_unit", ValueType::String, "unit")});
  Values v;
  ASSERT_TRUE(p.parse("  12.345 kg", v));
  ASSERT_EQ(v.size(), 2U);
  EXPECT_EQ(*v[0], Value{12.345});
  EXPECT_EQ(*v[1], Value{"kg"s});
  EXPECT_FALSE(p.parse("ERR 7", v));
  EXPECT_TRUE(v.empty());
}

TEST(SerialLineParser, AppliesScaleOffsetAndDecimals) {
  PointOptions temp = point("temp", ValueType::Integer);
  temp.scale = 0.1;
  temp.offset = -40.0;
  temp.decimals = 1;
  PointOptions raw = point("raw", ValueType::Integer, "temp");
  auto p = compile(R"(T=(?<temp>-?\d+))", {temp, raw});
  Values v;
  ASSERT_TRUE(p.parse("T=653", v));
  EXPECT_EQ(*v[0], Value{25.3});                // 653 * 0.1 - 40, a double
  EXPECT_EQ(*v[1], Value{std::int64_t{653}});  // unscaled integers stay integers
}

TEST(SerialLineParser, ParsesNmeaSentencesWithOnePatternEach) {
  auto gga = compile(
      R"(^\$GPGGA,(?<utc>[\d.]*),(?<lat>[\d.]*),(?<ns>[NS]?),(?<lon>[\d.]*),(?<ew>[EW]?),(?<fix>\d),(?<sats>\d+),[^,]*,(?<alt>[-\d.]*),M)",
      {point("lat", ValueType::Number), point("fix", ValueType::Bool),
       point("sats", ValueType::Integer), point("alt", ValueType::Number)});
  auto rmc = compile(R"(^\$GPRMC,[^,]*,(?<status>[AV]),(?:[^,]*,){4}(?<speed>[\d.]*),)",
                     {point("valid", ValueType::Bool, "status"), point("speed", ValueType::Number)});
  Values v;
  const std::string g = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47";
  ASSERT_TRUE(gga.parse(g, v));
  EXPECT_EQ(*v[0], Value{4807.038});
  EXPECT_EQ(*v[1], Value{true});
  EXPECT_EQ(*v[2], Value{std::int64_t{8}});
  EXPECT_EQ(*v[3], Value{545.4});
  EXPECT_FALSE(rmc.parse(g, v));

  // RMC status A/V needs its own bool words.
  PatternOptions opts = rmc.options();
  opts.points[0].true_values = {"A"};
  opts.points[0].false_values = {"V"};
  auto rmc2 = LineParser::compile(opts);
  ASSERT_TRUE(rmc2);
  ASSERT_TRUE(rmc2->parse("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A", v));
  EXPECT_EQ(*v[0], Value{true});
  EXPECT_EQ(*v[1], Value{22.4});
}

TEST(SerialLineParser, EmptyOrUnsetGroupIsAnErrorForThatPointOnly) {
  // GGA without a fix: empty latitude.
  auto p = compile(R"(^\$GPGGA,[^,]*,(?<lat>[^,]*),(?:(?<opt>X)|[^,]*),(?<n>\d+))",
                   {point("lat", ValueType::Number), point("opt", ValueType::String),
                    point("n", ValueType::Integer)});
  Values v;
  ASSERT_TRUE(p.parse("$GPGGA,1,,N,5", v));
  EXPECT_EQ(v[0].error(), SerialErrc::EmptyCapture);
  EXPECT_EQ(v[1].error(), SerialErrc::EmptyCapture);  // group did not take part
  EXPECT_EQ(*v[2], Value{std::int64_t{5}});
}

TEST(SerialLineParser, RejectsTextThatIsNotOfThePointsType) {
  EXPECT_EQ(parse_point_value(point("n", ValueType::Number), "12.3.4").error(), SerialErrc::BadNumber);
  EXPECT_EQ(parse_point_value(point("n", ValueType::Number), "nan").error(), SerialErrc::BadNumber);
  EXPECT_EQ(parse_point_value(point("i", ValueType::Integer), "1.5").error(), SerialErrc::BadNumber);
  EXPECT_EQ(parse_point_value(point("i", ValueType::Integer), "99999999999999999999").error(),
            SerialErrc::OutOfRange);
  EXPECT_EQ(parse_point_value(point("b", ValueType::Bool), "maybe").error(), SerialErrc::BadNumber);
  EXPECT_EQ(parse_point_value(point("n", ValueType::Number), "   ").error(), SerialErrc::EmptyCapture);
}

TEST(SerialLineParser, AcceptsSignsBlanksExponentsHexAndBoolWordsInAnyCase) {
  EXPECT_EQ(*parse_point_value(point("n", ValueType::Number), " +1.5e2 "), Value{150.0});
  EXPECT_EQ(*parse_point_value(point("i", ValueType::Integer), "-42"), Value{std::int64_t{-42}});
  EXPECT_EQ(*parse_point_value(point("i", ValueType::Integer), "-9223372036854775808"),
            Value{std::int64_t{INT64_MIN}});
  PointOptions hex = point("h", ValueType::Integer);
  hex.base = 16;
  EXPECT_EQ(*parse_point_value(hex, "0x1F"), Value{std::int64_t{31}});
  EXPECT_EQ(*parse_point_value(hex, "ff"), Value{std::int64_t{255}});
  EXPECT_EQ(*parse_point_value(point("b", ValueType::Bool), "ON"), Value{true});
  EXPECT_EQ(*parse_point_value(point("b", ValueType::Bool), "False"), Value{false});
  EXPECT_EQ(*parse_point_value(point("s", ValueType::String), " as is "), Value{" as is "s});
}

TEST(SerialLineParser, MatchesBinaryFramesWithNulBytes) {
  auto p = compile(R"(^\x02(?<v>\d+)\x00\x03$)", {point("v", ValueType::Integer)});
  Values v;
  ASSERT_TRUE(p.parse("\x02" "17\x00\x03"s, v));
  EXPECT_EQ(*v[0], Value{std::int64_t{17}});
}

TEST(SerialLineParser, FailsToCompileWithoutTheNamedGroupOrWithABadRegex) {
  auto missing = LineParser::compile(PatternOptions{
      .name = "p", .regex = R"((?<weight>\d+))", .points = {point("mass", ValueType::Number)}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), std::errc::invalid_argument);
  std::string why;
  auto bad = Regex::compile("(?<w>\\d+", &why);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().category(), pcre2_category());
  EXPECT_NE(why.find("offset 8"), std::string::npos) << why;
}

}  // namespace
}  // namespace gw::adapters::serial

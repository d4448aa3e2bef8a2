// adapters::serial::validate(): a working instrument passes; each kind of mistake is reported
// with the path of the key at fault, all at once.
#include "adapters/serial/options_validation.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace gw::adapters::serial {
namespace {

using namespace std::chrono_literals;

InstrumentOptions scale() {
  InstrumentOptions o;
  o.link = "scale-link";
  o.name = "scale";
  o.port.device = "/dev/ttyUSB0";
  o.patterns.push_back(PatternOptions{
      .name = "weight",
      .regex = R"(^\s*(?<weight>[-+]?\d+\.\d+)\s*kg$)",
      .points = {PointOptions{.name = "weight"}}});
  o.requests.push_back(RequestOptions{.send = "W\r", .interval = 500ms, .expect = {"weight"}});
  o.commands.push_back(CommandOptions{.point = "tare", .type = ValueType::Bool,
                                      .send = "T{value:d}\r", .reply = "^OK$"});
  return o;
}

bool reports(const std::vector<ConfigProblem>& ps, const std::string& path) {
  return std::any_of(ps.begin(), ps.end(), [&](const ConfigProblem& p) { return p.path == path; });
}

std::string dump(const std::vector<ConfigProblem>& ps) {
  std::string s;
  for (const auto& p : ps) s += p.path + ": " + p.message + "\n";
  return s;
}

TEST(SerialOptionsValidation, AcceptsAWorkingInstrument) {
  const auto ps = validate(scale());
  EXPECT_TRUE(ps.empty()) << dump(ps);
}

TEST(SerialOptionsValidation, ReportsPointCaptureMissingFromItsPattern) {
  auto o = scale();
  o.patterns[0].points.push_back(PointOptions{.name = "tare_flag", .capture = "tared"});
  o.patterns[0].points.push_back(PointOptions{.name = "gross"});
  const auto ps = validate(o);
  EXPECT_TRUE(reports(ps, "patterns[0].points[1].capture")) << dump(ps);
  EXPECT_TRUE(reports(ps, "patterns[0].points[2].name")) << dump(ps);
  EXPECT_EQ(ps.size(), 2U) << dump(ps);
}

TEST(SerialOptionsValidation, RefusesAChecksumPlaceholderWithoutAChecksum) {
  auto o = scale();
  o.commands[0].send = "T{value:.1f}*{checksum}\r";
  o.checksum.kind = ChecksumKind::None;
  auto ps = validate(o);
  ASSERT_EQ(ps.size(), 1U) << dump(ps);
  EXPECT_EQ(ps[0].path, "commands[0].send");
  EXPECT_EQ(ps[0].message, "{checksum} needs checksum.kind (the instrument has none)");
  o.checksum.kind = ChecksumKind::Nmea;
  EXPECT_TRUE(validate(o).empty()) << dump(validate(o));
}

TEST(SerialOptionsValidation, ReportsEveryMistakeAtOnce) {
  auto o = scale();
  o.port.baud = 12345;
  o.port.data_bits = 9;
  o.framing.delimiter.clear();
  o.patterns.push_back(PatternOptions{.name = "weight", .regex = "(?<x>", .points = {}});
  o.requests[0].expect = {"nothing"};
  o.requests[0].interval = 0ms;
  o.commands[0].send = "T{val}";
  o.commands[0].reply = "(";
  o.commands.push_back(CommandOptions{.point = "sp", .send = "S{value:.1f}", .reply = "OK",
                                      .min = 10.0, .max = 5.0});
  o.checksum.kind = ChecksumKind::Nmea;
  o.checksum.separator = "#";
  o.reconnect_max = 1ms;
  const auto ps = validate(o);
  for (const char* path :
       {"port.baud", "port.data_bits", "framing.delimiter", "patterns[1].name", "patterns[1].regex",
        "patterns[1].points", "requests[0].interval", "requests[0].expect[0]", "commands[0].send",
        "commands[0].reply", "commands[1].max", "checksum", "reconnect_max"}) {
    EXPECT_TRUE(reports(ps, path)) << path << "\n" << dump(ps);
  }
}

TEST(SerialOptionsValidation, ReportsDuplicatePointNamesAcrossPatterns) {
  auto o = scale();
  o.patterns.push_back(PatternOptions{.name = "other",
                                      .regex = R"(G(?<weight>\d+))",
                                      .points = {PointOptions{.name = "weight"}}});
  EXPECT_TRUE(reports(validate(o), "patterns[1].points[0].name"));
}

TEST(SerialOptionsValidation, ReportsFramingContradictions) {
  auto o = scale();
  o.framing.kind = FramingKind::StartEnd;
  EXPECT_TRUE(reports(validate(o), "framing.start"));
  o.framing.start = 0x03;
  EXPECT_TRUE(reports(validate(o), "framing.end"));
  o.framing = FramingOptions{.kind = FramingKind::FixedLength, .length = 0};
  EXPECT_TRUE(reports(validate(o), "framing.length"));
  o.framing = FramingOptions{.kind = FramingKind::Silence};
  EXPECT_TRUE(reports(validate(o), "framing.silence"));
  o.framing = FramingOptions{.kind = FramingKind::FixedLength, .length = 4};
  o.checksum = ChecksumOptions{.kind = ChecksumKind::Crc16Ccitt, .skip_leading = 1};
  EXPECT_TRUE(reports(validate(o), "checksum"));  // 1 + 4 hex digits > 4 bytes
}

TEST(SerialOptionsValidation, NeedsAMode) {
  auto o = scale();
  o.requests.clear();
  o.commands.clear();
  EXPECT_TRUE(reports(validate(o), "mode"));
  o.streaming = true;
  EXPECT_TRUE(validate(o).empty());
}

}  // namespace
}  // namespace gw::adapters::serial

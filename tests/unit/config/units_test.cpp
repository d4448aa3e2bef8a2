#include "config/units.hpp"

#include <gtest/gtest.h>

namespace gw::config {
namespace {

using std::chrono::milliseconds;

milliseconds duration(std::string_view text) {
  std::string error;
  auto d = parse_duration(text, error);
  EXPECT_TRUE(d.has_value()) << text << ": " << error;
  return d.value_or(milliseconds(-1));
}

std::string duration_error(std::string_view text) {
  std::string error;
  EXPECT_FALSE(parse_duration(text, error).has_value()) << text;
  return error;
}

std::string size_error(std::string_view text) {
  std::string error;
  EXPECT_FALSE(parse_size(text, error).has_value()) << text;
  return error;
}

TEST(Units, ParsesEveryDurationUnit) {
  EXPECT_EQ(duration("250ms"), milliseconds(250));
  EXPECT_EQ(duration("5s"), milliseconds(5000));
  EXPECT_EQ(duration("10m"), milliseconds(600'000));
  EXPECT_EQ(duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(duration("1d"), milliseconds(86'400'000));
  EXPECT_EQ(duration("0s"), milliseconds(0));
  EXPECT_EQ(duration("5 s"), milliseconds(5000));
}

TEST(Units, RejectsABareDurationAndAsksForAUnit) {
  EXPECT_EQ(duration_error("600"), "'600' has no unit; add one, like 250ms, 5s, 10m, 1h or 1d");
}

TEST(Units, RejectsUnknownDurationUnitsWithTheList) {
  EXPECT_EQ(duration_error("10min"),
            "'10min': unknown unit 'min'; did you mean 'm'? (units: ms, s, m, h or d)");
  EXPECT_EQ(duration_error("10sec"), "'10sec': unknown unit 'sec'; did you mean 's'? (units: ms, s, m, h or d)");
  EXPECT_EQ(duration_error("10x"), "'10x': unknown unit 'x' (units: ms, s, m, h or d)");
}

TEST(Units, RejectsFractionsSignsAndOverflow) {
  EXPECT_EQ(duration_error("1.5s"), "'1.5s': fractions are not supported; use a smaller unit");
  EXPECT_EQ(duration_error("-5s"),
            "'-5s' is not a whole number with a unit, like 250ms, 5s, 10m, 1h or 1d");
  EXPECT_EQ(duration_error("99999999999999999999d"), "'99999999999999999999d' is too large");
  EXPECT_EQ(duration_error("999999999999999d"), "'999999999999999d' is too large");
}

TEST(Units, ParsesBinaryAndDecimalSizes) {
  std::string e;
  EXPECT_EQ(parse_size("512B", e), 512u);
  EXPECT_EQ(parse_size("256KiB", e), 256u * 1024);
  EXPECT_EQ(parse_size("1MiB", e), 1u << 20);
  EXPECT_EQ(parse_size("1GiB", e), 1u << 30);
  EXPECT_EQ(parse_size("1kB", e), 1000u);
  EXPECT_EQ(parse_size("2MB", e), 2'000'000u);
  EXPECT_EQ(parse_size("3GB", e), 3'000'000'000u);
  EXPECT_EQ(parse_size("256 KiB", e), 256u * 1024);
}

TEST(Units, RejectsBareAndAmbiguousSizes) {
  EXPECT_EQ(size_error("256"), "'256' has no unit; add one, like 512B, 256KiB, 1MiB or 1GiB");
  EXPECT_EQ(size_error("256K"),
            "'256K': unit 'K' is ambiguous; use KiB/MiB/GiB (1024-based) or kB/MB/GB (1000-based)");
  EXPECT_EQ(size_error("256KB"),
            "'256KB': unit 'KB' is ambiguous; use KiB/MiB/GiB (1024-based) or kB/MB/GB (1000-based)");
}

TEST(Units, SuggestsTheRightCaseForASizeUnit) {
  EXPECT_EQ(size_error("256kib"),
            "'256kib': unknown unit 'kib'; did you mean 'KiB'? "
            "(units: B, kB, KiB, MB, MiB, GB or GiB)");
}

TEST(Units, FormatsInTheLargestExactUnit) {
  EXPECT_EQ(format_duration(milliseconds(600'000)), "10m");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  EXPECT_EQ(format_duration(std::chrono::seconds(65535)), "65535s");
  EXPECT_EQ(format_size(256 * 1024), "256KiB");
  EXPECT_EQ(format_size(1000), "1kB");
  EXPECT_EQ(format_size(1023), "1023B");
  EXPECT_EQ(format_size(0), "0B");
}

}  // namespace
}  // namespace gw::config

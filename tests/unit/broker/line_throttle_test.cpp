#include "broker/line_throttle.hpp"

#include <optional>

#include <gtest/gtest.h>

#include "core/clock.hpp"

namespace gw::broker {
namespace {

using namespace std::chrono_literals;

TEST(LineThrottle, WritesTheFirstLineThenOneAMinuteWithTheCountHeldBack) {
  core::FakeClock clock;
  LineThrottle lines;
  EXPECT_EQ(lines.flush(clock.steady()), std::nullopt);  // nothing written, nothing held back
  EXPECT_EQ(lines.admit(clock.steady()), 0U);
  clock.advance(30s);
  EXPECT_EQ(lines.admit(clock.steady()), std::nullopt);
  EXPECT_EQ(lines.admit(clock.steady()), std::nullopt);
  EXPECT_EQ(lines.flush(clock.steady()), std::nullopt);  // the minute is not over
  clock.advance(30s);
  EXPECT_EQ(lines.admit(clock.steady()), 2U);
  clock.advance(59s);
  EXPECT_EQ(lines.admit(clock.steady()), std::nullopt);
  clock.advance(1s);
  EXPECT_EQ(lines.flush(clock.steady()), 1U);
  EXPECT_EQ(lines.admit(clock.steady()), std::nullopt);  // the flush started a new minute
}

TEST(LineThrottle, AFlushWithNothingHeldBackStartsNoNewInterval) {
  core::FakeClock clock;
  LineThrottle lines;
  EXPECT_EQ(lines.admit(clock.steady()), 0U);
  clock.advance(61s);
  EXPECT_EQ(lines.flush(clock.steady()), std::nullopt);
  EXPECT_EQ(lines.admit(clock.steady()), 0U);  // written at once
}

}  // namespace
}  // namespace gw::broker

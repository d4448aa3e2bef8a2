#include "core/clock.hpp"

#include <gtest/gtest.h>

namespace gw::core {
namespace {

using namespace std::chrono_literals;

TEST(FakeClock, MovesOnlyWhenAdvanced) {
  FakeClock clock;
  const auto t0 = clock.steady();
  const auto w0 = clock.wall_ms();
  EXPECT_EQ(clock.steady(), t0);
  clock.advance(1500ms);
  EXPECT_EQ(clock.steady() - t0, 1500ms);
  EXPECT_EQ(clock.wall_ms() - w0, 1500);
}

TEST(FakeClock, StartsAwayFromEpochSoZeroIsNeverNow) {
  FakeClock clock;
  EXPECT_NE(clock.steady(), Clock::time_point{});
}

TEST(SystemClock, WallClockIsUnixMilliseconds) {
  // 2020-01-01 in Unix ms; any real clock is past it, a seconds-based one would not be.
  EXPECT_GT(SystemClock::instance().wall_ms(), 1'577'836'800'000);
}

}  // namespace
}  // namespace gw::core

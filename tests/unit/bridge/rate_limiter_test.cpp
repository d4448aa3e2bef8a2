// Unit tests for bridge::RateLimiter with a FakeClock.
#include <gtest/gtest.h>

#include <chrono>

#include "core/clock.hpp"
#include "gateway/bridge/rate_limiter.hpp"

namespace gw::bridge {
namespace {

using namespace std::chrono_literals;

TEST(BridgeRateLimiter, AllowsEverythingWhenUnlimited) {
  core::FakeClock clock;
  RateLimiter r(0, 0, clock.steady());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(r.try_take(1'000'000, clock.steady()));
}

TEST(BridgeRateLimiter, LimitsMessagesPerSecondWhenSet) {
  core::FakeClock clock;
  RateLimiter r(10, 0, clock.steady());
  int sent = 0;
  while (r.try_take(100, clock.steady())) ++sent;
  EXPECT_EQ(sent, 10);  // one second of burst
  EXPECT_EQ(r.ready_at(100, clock.steady()) - clock.steady(), std::chrono::nanoseconds(100ms));
  clock.advance(100ms);
  EXPECT_TRUE(r.try_take(100, clock.steady()));
  EXPECT_FALSE(r.try_take(100, clock.steady()));
}

TEST(BridgeRateLimiter, LimitsBytesPerSecondWhenSet) {
  core::FakeClock clock;
  RateLimiter r(0, 1000, clock.steady());
  EXPECT_TRUE(r.try_take(600, clock.steady()));
  EXPECT_FALSE(r.try_take(600, clock.steady()));
  clock.advance(200ms);  // 400 + 200 = 600
  EXPECT_TRUE(r.try_take(600, clock.steady()));
}

TEST(BridgeRateLimiter, LetsOversizeMessageGoWhenBucketIsFull) {
  core::FakeClock clock;
  RateLimiter r(0, 1000, clock.steady());
  EXPECT_TRUE(r.try_take(5000, clock.steady()));  // more than a second's budget: goes into debt
  EXPECT_FALSE(r.try_take(1, clock.steady()));
  clock.advance(5s);
  EXPECT_TRUE(r.try_take(1, clock.steady()));
}

}  // namespace
}  // namespace gw::bridge

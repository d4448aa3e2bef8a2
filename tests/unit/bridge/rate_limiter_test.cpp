// Unit tests for bridge::RateLimiter with a FakeClock.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

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

// A sender that sends whenever the limiter lets it and otherwise waits until ready_at(), as the
// bridge loop does: over any stretch it gets at most one second of budget (the full bucket it
// starts with) plus the rate times the time elapsed.
TEST(BridgeRateLimiter, KeepsSustainedBytesWithinTheLimitWhenSenderWaitsForReadyAt) {
  core::FakeClock clock;
  constexpr std::uint64_t kRate = 20'000;
  constexpr std::uint64_t kPacket = 317;  // not a divisor of the rate
  RateLimiter r(0, kRate, clock.steady());
  const auto start = clock.steady();
  std::uint64_t sent = 0;
  int waits = 0;
  for (int i = 0; i < 2000; ++i) {
    while (!r.try_take(kPacket, clock.steady())) {
      const auto at = r.ready_at(kPacket, clock.steady());
      ASSERT_GT(at, clock.steady());
      clock.advance(at - clock.steady());
      ++waits;
    }
    sent += kPacket;
    const double seconds = std::chrono::duration<double>(clock.steady() - start).count();
    ASSERT_LE(static_cast<double>(sent), static_cast<double>(kRate) * (1.0 + seconds) + 1.0)
        << "after " << i + 1 << " packets";
  }
  // 634,000 bytes: the first 20,000 at once, the rest at 20,000 B/s.
  const double seconds = std::chrono::duration<double>(clock.steady() - start).count();
  EXPECT_NEAR(seconds, static_cast<double>(sent - kRate) / kRate, 0.05);
  EXPECT_GT(waits, 0);
}

TEST(BridgeRateLimiter, ReadyAtIsWhenEnoughBytesHaveAccrued) {
  core::FakeClock clock;
  RateLimiter r(0, 1000, clock.steady());
  const auto t0 = clock.steady();
  EXPECT_EQ(r.ready_at(1000, t0), t0);  // starts full
  ASSERT_TRUE(r.try_take(1000, t0));
  const auto at = r.ready_at(250, t0);
  EXPECT_NEAR(std::chrono::duration<double>(at - t0).count(), 0.25, 1e-6);
  clock.advance(at - t0);
  EXPECT_TRUE(r.try_take(250, clock.steady()));
}

}  // namespace
}  // namespace gw::bridge

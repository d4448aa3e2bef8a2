#include "broker/connect_rate_limiter.hpp"

#include <string>

#include <gtest/gtest.h>

#include "core/clock.hpp"

namespace gw::broker {
namespace {

using namespace std::chrono_literals;

TEST(ConnectRateLimiter, AdmitsTheBurstThenTheRate) {
  core::FakeClock clock;
  ConnectRateLimiter limiter(2, 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.admit("192.0.2.1", clock.steady())) << i;
  EXPECT_FALSE(limiter.admit("192.0.2.1", clock.steady()));
  clock.advance(499ms);
  EXPECT_FALSE(limiter.admit("192.0.2.1", clock.steady()));
  clock.advance(1ms);  // 2/s: one token every 500 ms
  EXPECT_TRUE(limiter.admit("192.0.2.1", clock.steady()));
  EXPECT_FALSE(limiter.admit("192.0.2.1", clock.steady()));
  // The bucket never holds more than the burst, however long the pause.
  clock.advance(1h);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.admit("192.0.2.1", clock.steady())) << i;
  EXPECT_FALSE(limiter.admit("192.0.2.1", clock.steady()));
}

TEST(ConnectRateLimiter, AddressesHaveTheirOwnBuckets) {
  core::FakeClock clock;
  ConnectRateLimiter limiter(1, 1);
  EXPECT_TRUE(limiter.admit("192.0.2.1", clock.steady()));
  EXPECT_FALSE(limiter.admit("192.0.2.1", clock.steady()));
  EXPECT_TRUE(limiter.admit("192.0.2.2", clock.steady()));
  EXPECT_TRUE(limiter.admit("::1", clock.steady()));
}

TEST(ConnectRateLimiter, RateZeroAdmitsEverythingAndTracksNothing) {
  core::FakeClock clock;
  ConnectRateLimiter limiter(0, 1);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.admit("192.0.2.1", clock.steady()));
  EXPECT_EQ(limiter.tracked(), 0U);
}

TEST(ConnectRateLimiter, TableStaysBoundedAndForgetsRefilledAddresses) {
  core::FakeClock clock;
  ConnectRateLimiter limiter(10, 1, 4);
  for (int i = 0; i < 1000; ++i) {
    limiter.admit("10.0.0." + std::to_string(i), clock.steady());
    clock.advance(100ms);  // each bucket refills before the next address comes
    EXPECT_LE(limiter.tracked(), 4U);
  }
}

TEST(ConnectRateLimiter, AddressesBeyondAFullTableShareOneBucket) {
  core::FakeClock clock;
  ConnectRateLimiter limiter(1, 1, 2);
  EXPECT_TRUE(limiter.admit("a", clock.steady()));
  EXPECT_TRUE(limiter.admit("b", clock.steady()));
  // Both tracked buckets are empty, so neither can be forgotten: c and d share the overflow.
  EXPECT_TRUE(limiter.admit("c", clock.steady()));
  EXPECT_FALSE(limiter.admit("d", clock.steady()));
  EXPECT_EQ(limiter.tracked(), 2U);
  // Once a tracked bucket has refilled, its place goes to a new address.
  clock.advance(1s);
  EXPECT_TRUE(limiter.admit("d", clock.steady()));
  EXPECT_FALSE(limiter.admit("d", clock.steady()));
}

}  // namespace
}  // namespace gw::broker

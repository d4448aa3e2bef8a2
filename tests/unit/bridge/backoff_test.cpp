// Unit tests for bridge::Backoff: exponential ceiling, full jitter, reset.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "gateway/bridge/backoff.hpp"

namespace gw::bridge {
namespace {

using std::chrono::milliseconds;

TEST(BridgeBackoff, DoublesCeilingUpToMaxWhenAttemptsFail) {
  Backoff b(milliseconds(100), milliseconds(1000), 42);
  const milliseconds expected[] = {milliseconds(100), milliseconds(200), milliseconds(400),
                                   milliseconds(800), milliseconds(1000), milliseconds(1000)};
  for (auto ceiling : expected) {
    EXPECT_EQ(b.ceiling(), ceiling);
    const auto d = b.next();
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d, ceiling);
  }
}

TEST(BridgeBackoff, SpreadsDelaysOverWholeIntervalWhenJittered) {
  // Full jitter: the draws cover [0, ceiling], not just its upper half.
  Backoff b(milliseconds(1000), milliseconds(1000), 7);
  milliseconds lo(1000), hi(0);
  for (int i = 0; i < 2000; ++i) {
    const auto d = b.next();
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_LT(lo, milliseconds(50));
  EXPECT_GT(hi, milliseconds(950));
}

TEST(BridgeBackoff, RestartsFromInitialWhenReset) {
  Backoff b(milliseconds(10), milliseconds(10000), 1);
  for (int i = 0; i < 100; ++i) (void)b.next();  // many attempts: no overflow
  EXPECT_EQ(b.ceiling(), milliseconds(10000));
  b.reset();
  EXPECT_EQ(b.ceiling(), milliseconds(10));
  EXPECT_LE(b.next(), milliseconds(10));
}

TEST(BridgeBackoff, RepeatsSequenceWhenSeedIsTheSame) {
  Backoff a(milliseconds(50), milliseconds(5000), 99);
  Backoff b(milliseconds(50), milliseconds(5000), 99);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(a.next(), b.next());
}

}  // namespace
}  // namespace gw::bridge

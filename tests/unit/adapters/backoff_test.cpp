#include "adapters/backoff.hpp"

#include <gtest/gtest.h>

namespace gw::adapters {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, DoublesFromInitialUpToMax) {
  Backoff b(100ms, 1s);
  EXPECT_EQ(b.next(), 100ms);
  EXPECT_EQ(b.next(), 200ms);
  EXPECT_EQ(b.next(), 400ms);
  EXPECT_EQ(b.next(), 800ms);
  EXPECT_EQ(b.next(), 1s);
  EXPECT_EQ(b.next(), 1s);
  EXPECT_EQ(b.failures(), 6U);
}

TEST(Backoff, ResetStartsOverAtInitial) {
  Backoff b(100ms, 1s);
  (void)b.next();
  (void)b.next();
  b.reset();
  EXPECT_EQ(b.failures(), 0U);
  EXPECT_EQ(b.next(), 100ms);
}

TEST(Backoff, JitterStaysBetweenInitialAndTheCurrentStepAndVaries) {
  Backoff b(100ms, 10s, /*jitter=*/true, /*seed=*/7);
  EXPECT_EQ(b.next(), 100ms);  // the first retry is not delayed further
  Backoff::Duration cap = 200ms;
  bool varied = false;
  Backoff::Duration previous{0};
  for (int i = 0; i < 20; ++i) {
    const auto d = b.next();
    EXPECT_GE(d, 100ms);
    EXPECT_LE(d, cap);
    if (previous.count() != 0 && d != previous) varied = true;
    previous = d;
    cap = std::min<Backoff::Duration>(cap * 2, 10s);
  }
  EXPECT_TRUE(varied);
}

TEST(Backoff, MaxBelowInitialIsRaisedToInitial) {
  Backoff b(500ms, 100ms);
  EXPECT_EQ(b.next(), 500ms);
  EXPECT_EQ(b.next(), 500ms);
}

}  // namespace
}  // namespace gw::adapters

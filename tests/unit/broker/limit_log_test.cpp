#include "broker/limit_log.hpp"

#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.hpp"

namespace gw::broker {
namespace {

using namespace std::chrono_literals;

TEST(LimitLog, LogsTheFirstHitThenAtMostOneLineAMinuteWithTheCountHeldBack) {
  core::FakeClock clock;
  LimitLog log;
  EXPECT_EQ(log.admit(LimitKind::ConnectRate, clock.steady()), 0U);
  for (int i = 0; i < 5; ++i) {
    clock.advance(10s);
    EXPECT_FALSE(log.admit(LimitKind::ConnectRate, clock.steady()).has_value());
  }
  clock.advance(9'999ms);
  EXPECT_FALSE(log.admit(LimitKind::ConnectRate, clock.steady()).has_value());
  clock.advance(1ms);  // a minute after the first line
  EXPECT_EQ(log.admit(LimitKind::ConnectRate, clock.steady()), 6U);
  EXPECT_FALSE(log.admit(LimitKind::ConnectRate, clock.steady()).has_value());
}

TEST(LimitLog, KindsAreIndependent) {
  core::FakeClock clock;
  LimitLog log;
  EXPECT_TRUE(log.admit(LimitKind::TopicLength, clock.steady()).has_value());
  EXPECT_TRUE(log.admit(LimitKind::TopicLevels, clock.steady()).has_value());
  EXPECT_FALSE(log.admit(LimitKind::TopicLength, clock.steady()).has_value());
}

TEST(LimitLog, FlushReportsHitsHeldBackOnceTheIntervalHasPassed) {
  core::FakeClock clock;
  LimitLog log;
  std::vector<std::pair<LimitKind, std::uint64_t>> lines;
  const auto sink = [&](LimitKind k, std::uint64_t n) { lines.emplace_back(k, n); };
  log.admit(LimitKind::Subscriptions, clock.steady());
  log.flush(clock.steady(), sink);
  EXPECT_TRUE(lines.empty());  // nothing held back
  log.admit(LimitKind::Subscriptions, clock.steady());
  log.admit(LimitKind::Subscriptions, clock.steady());
  clock.advance(59s);
  log.flush(clock.steady(), sink);
  EXPECT_TRUE(lines.empty());  // not yet a minute
  clock.advance(1s);
  log.flush(clock.steady(), sink);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0], std::make_pair(LimitKind::Subscriptions, std::uint64_t{2}));
  log.flush(clock.steady(), sink);
  EXPECT_EQ(lines.size(), 1U);
  // The summary started a new interval: the next hit is held back until it ends.
  EXPECT_FALSE(log.admit(LimitKind::Subscriptions, clock.steady()).has_value());
}

}  // namespace
}  // namespace gw::broker

#include "adapters/publish_filter.hpp"

#include <gtest/gtest.h>

namespace gw::adapters {
namespace {

using namespace std::chrono_literals;
using TP = PublishFilter::TimePoint;

const TP t0{std::chrono::seconds(1000)};

TEST(PublishFilter, PublishesFirstReadingAndChangesOnlyWithoutDeadband) {
  PublishFilter f({.heartbeat = 1h});
  EXPECT_TRUE(f.offer(Value{std::int64_t{5}}, Quality::Good, t0));
  EXPECT_FALSE(f.offer(Value{std::int64_t{5}}, Quality::Good, t0 + 1s));
  EXPECT_TRUE(f.offer(Value{std::int64_t{6}}, Quality::Good, t0 + 2s));
  EXPECT_TRUE(f.offer(Value{std::string("a")}, Quality::Good, t0 + 3s));
  EXPECT_FALSE(f.offer(Value{std::string("a")}, Quality::Good, t0 + 4s));
}

TEST(PublishFilter, SuppressesChangesWithinAbsoluteDeadband) {
  PublishFilter f({.deadband = 0.5, .heartbeat = 1h});
  EXPECT_TRUE(f.offer(Value{20.0}, Quality::Good, t0));
  EXPECT_FALSE(f.offer(Value{20.5}, Quality::Good, t0 + 1s));  // exactly the deadband: not more
  EXPECT_FALSE(f.offer(Value{19.6}, Quality::Good, t0 + 2s));
  EXPECT_TRUE(f.offer(Value{20.6}, Quality::Good, t0 + 3s));
  // Compared with the last PUBLISHED value (20.6), so slow drift is still reported.
  EXPECT_FALSE(f.offer(Value{21.0}, Quality::Good, t0 + 4s));
  EXPECT_TRUE(f.offer(Value{21.2}, Quality::Good, t0 + 5s));
}

TEST(PublishFilter, PercentDeadbandScalesWithTheLastValue) {
  PublishFilter f({.deadband = 10, .deadband_percent = true, .heartbeat = 1h});
  EXPECT_TRUE(f.offer(Value{std::uint64_t{1000}}, Quality::Good, t0));
  EXPECT_FALSE(f.offer(Value{std::uint64_t{1100}}, Quality::Good, t0 + 1s));
  EXPECT_TRUE(f.offer(Value{std::uint64_t{1101}}, Quality::Good, t0 + 2s));
}

TEST(PublishFilter, HeartbeatRepublishesAnUnchangedGoodValue) {
  PublishFilter f({.heartbeat = 10s});
  EXPECT_TRUE(f.offer(Value{true}, Quality::Good, t0));
  EXPECT_FALSE(f.offer(Value{true}, Quality::Good, t0 + 9s));
  EXPECT_TRUE(f.offer(Value{true}, Quality::Good, t0 + 10s));
  EXPECT_FALSE(f.offer(Value{true}, Quality::Good, t0 + 19s));
}

TEST(PublishFilter, MinIntervalHoldsBackChangesButNotQualityChanges) {
  PublishFilter f({.heartbeat = 1h, .min_interval = 5s});
  EXPECT_TRUE(f.offer(Value{1.0}, Quality::Good, t0));
  EXPECT_FALSE(f.offer(Value{2.0}, Quality::Good, t0 + 1s));
  EXPECT_TRUE(f.offer(Value{}, Quality::BadTimeout, t0 + 2s));
  EXPECT_TRUE(f.offer(Value{2.0}, Quality::Good, t0 + 3s));
  EXPECT_FALSE(f.offer(Value{3.0}, Quality::Good, t0 + 4s));
  EXPECT_TRUE(f.offer(Value{3.0}, Quality::Good, t0 + 8s));
}

TEST(PublishFilter, BadQualityIsPublishedOnceNeverRepeated) {
  PublishFilter f({.heartbeat = 1s});
  EXPECT_TRUE(f.offer(Value{1.0}, Quality::Good, t0));
  EXPECT_TRUE(f.offer(Value{}, Quality::BadTimeout, t0 + 1s));
  // Not even the heartbeat re-sends a bad reading: there is no fresh value to send.
  EXPECT_FALSE(f.offer(Value{}, Quality::BadTimeout, t0 + 10s));
  EXPECT_TRUE(f.offer(Value{}, Quality::BadConnection, t0 + 11s));
  // Back to good with the same value as before the outage: published (quality changed).
  EXPECT_TRUE(f.offer(Value{1.0}, Quality::Good, t0 + 12s));
}

}  // namespace
}  // namespace gw::adapters

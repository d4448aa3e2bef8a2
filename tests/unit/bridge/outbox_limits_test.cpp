// Limits (rows, bytes, free disk) and overflow policies of the outbox, with exact counters.
#include <gtest/gtest.h>

#include <chrono>

#include "gateway/bridge/outbox.hpp"
#include "gateway/bridge/outbox_errc.hpp"
#include "tests/unit/bridge/outbox_fixture.hpp"

namespace gw::bridge::test {
namespace {

using std::chrono::milliseconds;
using Ids = std::vector<std::uint64_t>;
using OutboxLimits = OutboxTest;

// Route "cloud" (5) + topic "t" (1) + payload: sizes are 6 + payload length.
Message sized(std::size_t total) { return make_message("t", std::string(total - 6, 'x')); }

TEST_F(OutboxLimits, DropsLowestPriorityOldestFirstWhenMaxRowsReached) {
  auto o = options();
  o.max_rows = 3;
  auto outbox = open(o);
  add(*outbox, make_message("t", "1"), 1);   // id 1
  add(*outbox, make_message("t", "2"), 0);   // id 2: lowest priority, dropped first
  add(*outbox, make_message("t", "3"), 1);   // id 3
  add(*outbox, make_message("t", "4"), 2);   // id 4: drops 2
  add(*outbox, make_message("t", "5"), 2);   // id 5: drops 1 (priority 1, oldest)
  auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 3u);
  EXPECT_EQ(s.drops[DropReason::OverflowRows], 2u);
  EXPECT_EQ(s.drops.total(), 2u);
  EXPECT_EQ(s.appended, 5u);
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{4, 5, 3}));
}

TEST_F(OutboxLimits, RefusesAppendWhenMaxRowsReachedUnderDropNewest) {
  auto o = options();
  o.max_rows = 2;
  o.overflow = OverflowPolicy::DropNewest;
  auto outbox = open(o);
  add(*outbox, make_message("t", "1"));
  add(*outbox, make_message("t", "2"));
  for (int i = 0; i < 3; ++i) {
    auto refused = outbox->append("cloud", 9, make_message("t", "3"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), OutboxErrc::Full);
  }
  auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 2u);
  EXPECT_EQ(s.drops[DropReason::OverflowRows], 3u);
  EXPECT_EQ(s.drops.total(), 3u);
  EXPECT_EQ(s.appended, 2u);
  ASSERT_TRUE(outbox->ack(1));
  EXPECT_TRUE(outbox->append("cloud", 0, make_message("t", "fits again")));
}

TEST_F(OutboxLimits, DropsOldestUntilNewFitsWhenMaxBytesReached) {
  auto o = options();
  o.max_bytes = 100;
  auto outbox = open(o);
  add(*outbox, sized(30));
  add(*outbox, sized(30));
  add(*outbox, sized(30));
  EXPECT_EQ(stats_of(*outbox).bytes, 90u);
  add(*outbox, sized(70));  // needs 60 more free: drops ids 1 and 2
  auto s = stats_of(*outbox);
  EXPECT_EQ(s.bytes, 100u);
  EXPECT_EQ(s.rows, 2u);
  EXPECT_EQ(s.drops[DropReason::OverflowBytes], 2u);
  EXPECT_EQ(s.drops.total(), 2u);
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{3, 4}));
}

TEST_F(OutboxLimits, RefusesAppendWhenMaxBytesReachedUnderDropNewest) {
  auto o = options();
  o.max_bytes = 100;
  o.overflow = OverflowPolicy::DropNewest;
  auto outbox = open(o);
  add(*outbox, sized(60));
  auto refused = outbox->append("cloud", 0, sized(41));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), OutboxErrc::Full);
  add(*outbox, sized(40));  // exactly fits
  auto s = stats_of(*outbox);
  EXPECT_EQ(s.bytes, 100u);
  EXPECT_EQ(s.drops[DropReason::OverflowBytes], 1u);
  EXPECT_EQ(s.drops.total(), 1u);
}

TEST_F(OutboxLimits, RefusesMessageWhenLargerThanMaxBytesAlone) {
  auto o = options();
  o.max_bytes = 100;
  auto outbox = open(o);
  add(*outbox, sized(50));
  auto refused = outbox->append("cloud", 0, sized(101));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), OutboxErrc::MessageTooLarge);
  auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 1u);  // nothing was dropped for a message that can never fit
  EXPECT_EQ(s.drops[DropReason::OverflowBytes], 1u);
}

TEST_F(OutboxLimits, CountsRowsReasonFirstWhenBothLimitsReached) {
  auto o = options();
  o.max_rows = 2;
  o.max_bytes = 60;
  auto outbox = open(o);
  add(*outbox, sized(30));
  add(*outbox, sized(30));
  add(*outbox, sized(50));  // rows: drops 1; bytes: 30 + 50 > 60, drops 2
  const auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 1u);
  EXPECT_EQ(s.drops[DropReason::OverflowRows], 1u);
  EXPECT_EQ(s.drops[DropReason::OverflowBytes], 1u);
}

TEST_F(OutboxLimits, DropsOneOldestRowPerAppendWhenDiskBelowMinimum) {
  auto o = options();
  o.min_free_disk = 1000;
  o.disk_check_interval = milliseconds(0);
  auto outbox = open(o);
  add(*outbox, make_message("t", "1"), 1);
  add(*outbox, make_message("t", "2"), 0);
  add(*outbox, make_message("t", "3"), 1);
  disk_.free = 999;
  add(*outbox, make_message("t", "4"), 1);  // drops 2 (lowest priority)
  add(*outbox, make_message("t", "5"), 1);  // drops 1
  auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 3u);
  EXPECT_EQ(s.drops[DropReason::DiskFull], 2u);
  EXPECT_EQ(s.drops.total(), 2u);
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{3, 4, 5}));
}

TEST_F(OutboxLimits, RefusesAppendWhenDiskBelowMinimumUnderDropNewest) {
  auto o = options();
  o.min_free_disk = 1000;
  o.disk_check_interval = milliseconds(0);
  o.overflow = OverflowPolicy::DropNewest;
  auto outbox = open(o);
  add(*outbox, make_message("t", "1"));
  disk_.free = 10;
  auto refused = outbox->append("cloud", 0, make_message("t", "2"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), OutboxErrc::DiskFull);
  const auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 1u);
  EXPECT_EQ(s.drops[DropReason::DiskFull], 1u);
}

TEST_F(OutboxLimits, RefusesAppendWhenDiskBelowMinimumAndOutboxEmpty) {
  auto o = options();
  o.min_free_disk = 1000;
  o.disk_check_interval = milliseconds(0);
  disk_.free = 0;
  auto outbox = open(o);
  auto refused = outbox->append("cloud", 0, make_message("t", "1"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), OutboxErrc::DiskFull);
  EXPECT_EQ(stats_of(*outbox).drops[DropReason::DiskFull], 1u);
}

TEST_F(OutboxLimits, ProbesDiskOncePerIntervalWhenAppending) {
  auto o = options();
  o.min_free_disk = 1000;
  o.disk_check_interval = milliseconds(1000);
  disk_.free = 1000 + 25;
  auto outbox = open(o);
  add(*outbox, make_message("t", "1234"));  // size 10; estimate 1015 left
  add(*outbox, make_message("t", "1234"));  // 1005
  EXPECT_EQ(disk_.calls, 1);
  add(*outbox, make_message("t", "1234"));  // estimate 1005 >= 1000: fits; now 995
  auto refused = outbox->append("cloud", 0, make_message("t", "1234"));  // estimate 995 < 1000
  EXPECT_TRUE(refused);  // DropOldest: dropped one row instead
  EXPECT_EQ(stats_of(*outbox).drops[DropReason::DiskFull], 1u);
  EXPECT_EQ(disk_.calls, 1);
  clock_.advance(milliseconds(1000));
  disk_.free = 1'000'000;
  add(*outbox, make_message("t", "1234"));
  EXPECT_EQ(disk_.calls, 2);
  EXPECT_EQ(stats_of(*outbox).drops[DropReason::DiskFull], 1u);
}

TEST_F(OutboxLimits, SkipsDiskCheckAndCountsWhenProbeFails) {
  auto o = options();
  o.min_free_disk = 1000;
  o.disk_check_interval = milliseconds(0);
  disk_.fails = true;
  auto outbox = open(o);
  add(*outbox, make_message("t", "1"));
  add(*outbox, make_message("t", "2"));
  const auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 2u);
  EXPECT_EQ(s.disk_probe_errors, 2u);
  EXPECT_EQ(s.drops.total(), 0u);
}

TEST_F(OutboxLimits, EnforcesLimitsOnTotalsLoadedWhenReopened) {
  auto o = options();
  o.max_rows = 3;
  {
    auto outbox = open(o);
    for (int i = 0; i < 3; ++i) add(*outbox, sized(20));
    ASSERT_TRUE(outbox->flush());
  }
  auto outbox = open(o);
  auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 3u);
  EXPECT_EQ(s.bytes, 60u);
  add(*outbox, sized(20));
  s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 3u);
  EXPECT_EQ(s.drops[DropReason::OverflowRows], 1u);
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{2, 3, 4}));
}

TEST_F(OutboxLimits, NamesEveryDropReasonWhenFormatted) {
  EXPECT_EQ(to_string(DropReason::OverflowBytes), "overflow_bytes");
  EXPECT_EQ(to_string(DropReason::OverflowRows), "overflow_rows");
  EXPECT_EQ(to_string(DropReason::MaxAge), "max_age");
  EXPECT_EQ(to_string(DropReason::DiskFull), "disk_full");
  EXPECT_EQ(to_string(DropReason::Expired), "expired");
}

}  // namespace
}  // namespace gw::bridge::test

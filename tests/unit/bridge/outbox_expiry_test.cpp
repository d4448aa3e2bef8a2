// MQTT 5 Message Expiry and max_age in the outbox, driven by a fake clock.
#include <gtest/gtest.h>

#include <chrono>

#include "gateway/bridge/outbox.hpp"
#include "gateway/bridge/outbox_errc.hpp"
#include "tests/unit/bridge/outbox_fixture.hpp"

namespace gw::bridge::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Ids = std::vector<std::uint64_t>;
using OutboxExpiry = OutboxTest;

Message expiring(std::uint32_t expiry_s) {
  auto m = make_message("t", "p");
  m.props.message_expiry = expiry_s;
  return m;
}

TEST_F(OutboxExpiry, SendsRemainingIntervalWhenMessageWaited) {
  auto outbox = open();
  add(*outbox, expiring(60));
  clock_.advance(milliseconds(20'500));
  auto batch = outbox->next(1);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 1u);
  // 39.5 s left: rounded up, never announced shorter than it is.
  EXPECT_EQ(batch->front().message.props.message_expiry, 40u);
  outbox->release_inflight();
  clock_.advance(milliseconds(39'499));
  batch = outbox->next(1);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ(batch->front().message.props.message_expiry, 1u);
}

TEST_F(OutboxExpiry, NeverReturnsRowWhenExpired) {
  auto outbox = open();
  add(*outbox, expiring(10));
  const auto keeper = add(*outbox, make_message("t", "no expiry"));
  add(*outbox, expiring(30));
  clock_.advance(seconds(10));
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{keeper, 3}));
  clock_.advance(seconds(20));
  outbox->release_inflight();
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{keeper}));
}

TEST_F(OutboxExpiry, DeletesAndCountsExpiredRowsWhenExpireRuns) {
  auto outbox = open();
  add(*outbox, expiring(10));
  add(*outbox, expiring(20));
  add(*outbox, make_message("t", "forever"));
  ASSERT_TRUE(outbox->flush());
  clock_.advance(seconds(15));
  auto removed = outbox->expire();
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 1u);
  auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 2u);
  EXPECT_EQ(s.drops[DropReason::Expired], 1u);
  EXPECT_EQ(s.drops.total(), 1u);
  clock_.advance(seconds(5));
  removed = outbox->expire();
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 1u);
  EXPECT_EQ(stats_of(*outbox).drops[DropReason::Expired], 2u);
}

TEST_F(OutboxExpiry, ReportsNotFoundWhenAckingExpiredInflightRow) {
  auto outbox = open();
  const auto id = add(*outbox, expiring(5));
  ASSERT_EQ(next_ids(*outbox, 1), Ids{id});
  clock_.advance(seconds(5));
  ASSERT_TRUE(outbox->expire());
  EXPECT_EQ(outbox->inflight(), 0u);
  EXPECT_EQ(outbox->ack(id).error(), OutboxErrc::NotFound);
}

TEST_F(OutboxExpiry, KeepsCountingExpiryWhenClosed) {
  {
    auto outbox = open();
    add(*outbox, expiring(100));
    ASSERT_TRUE(outbox->flush());
  }
  clock_.advance(seconds(70));
  auto outbox = open();
  auto batch = outbox->next(1);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ(batch->front().message.props.message_expiry, 30u);
}

TEST_F(OutboxExpiry, NeverExtendsIntervalWhenWallClockStepsBack) {
  {
    auto outbox = open();
    add(*outbox, expiring(100));
    ASSERT_TRUE(outbox->flush());
  }
  core::FakeClock earlier(clock_.wall_ms() - 3'600'000);
  auto outbox = Outbox::open(options(), earlier, disk_);
  ASSERT_TRUE(outbox);
  auto batch = (*outbox)->next(1);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ(batch->front().message.props.message_expiry, 100u);
}

TEST_F(OutboxExpiry, DropsRowsOlderThanMaxAgeWhenAppending) {
  auto o = options();
  o.max_age = seconds(60);
  auto outbox = open(o);
  add(*outbox, make_message("t", "old1"));
  add(*outbox, make_message("t", "old2"));
  clock_.advance(seconds(30));
  const auto young = add(*outbox, make_message("t", "young"));
  clock_.advance(seconds(29));
  add(*outbox, make_message("t", "x"));
  EXPECT_EQ(stats_of(*outbox).drops[DropReason::MaxAge], 0u);
  clock_.advance(seconds(1));  // old1 and old2 are now exactly 60 s old
  const auto last = add(*outbox, make_message("t", "y"));
  const auto s = stats_of(*outbox);
  EXPECT_EQ(s.drops[DropReason::MaxAge], 2u);
  EXPECT_EQ(s.rows, 3u);
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{young, 4, last}));
}

TEST_F(OutboxExpiry, DropsAgedRowsWhenExpireRuns) {
  auto o = options();
  o.max_age = seconds(60);
  auto outbox = open(o);
  add(*outbox, make_message("t", "a"));
  clock_.advance(seconds(10));
  add(*outbox, make_message("t", "b"));
  clock_.advance(seconds(55));
  auto removed = outbox->expire();
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 1u);
  const auto s = stats_of(*outbox);
  EXPECT_EQ(s.drops[DropReason::MaxAge], 1u);
  EXPECT_EQ(s.rows, 1u);
}

}  // namespace
}  // namespace gw::bridge::test

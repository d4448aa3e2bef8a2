#include "gateway/bridge/outbox.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "gateway/bridge/outbox_errc.hpp"
#include "tests/unit/bridge/outbox_fixture.hpp"

namespace gw::bridge::test {
namespace {

using std::chrono::milliseconds;
using Ids = std::vector<std::uint64_t>;

TEST_F(OutboxTest, ReturnsRowsByPriorityThenIdWhenPrioritiesDiffer) {
  auto outbox = open();
  const auto a = add(*outbox, make_message("t/a", "a"), 0);
  const auto b = add(*outbox, make_message("t/b", "b"), 5);
  const auto c = add(*outbox, make_message("t/c", "c"), 0);
  const auto d = add(*outbox, make_message("t/d", "d"), -3);
  const auto e = add(*outbox, make_message("t/e", "e"), 5);
  ASSERT_TRUE(outbox->flush());
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{b, e, a, c, d}));
}

TEST_F(OutboxTest, ReturnsStoredContentWhenNextIsCalled) {
  auto outbox = open();
  const auto m = full_message();
  const auto id = add(*outbox, m, 7, "cloud-eu");
  auto batch = outbox->next(1);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 1u);
  const auto& s = batch->front();
  EXPECT_EQ(s.id, id);
  EXPECT_EQ(s.route, "cloud-eu");
  EXPECT_EQ(s.priority, 7);
  EXPECT_EQ(s.message, m);  // the clock has not moved: remaining expiry == original
  EXPECT_EQ(s.stored_at, clock_.wall_ms());
  EXPECT_EQ(s.expires_at, clock_.wall_ms() + 3'600'000);
}

TEST_F(OutboxTest, LimitsBatchToMaxWhenMoreRowsArePending) {
  auto outbox = open();
  for (int i = 0; i < 5; ++i) add(*outbox, make_message("t", std::to_string(i)));
  EXPECT_EQ(next_ids(*outbox, 2), (Ids{1, 2}));
  EXPECT_EQ(next_ids(*outbox, 2), (Ids{3, 4}));
  EXPECT_EQ(next_ids(*outbox, 2), (Ids{5}));
  EXPECT_EQ(next_ids(*outbox, 2), Ids{});
  EXPECT_EQ(next_ids(*outbox, 0), Ids{});
}

TEST_F(OutboxTest, DeletesRowWhenAcked) {
  auto outbox = open();
  const auto id = add(*outbox, make_message("t", "payload"));
  ASSERT_EQ(next_ids(*outbox, 1), Ids{id});
  ASSERT_TRUE(outbox->ack(id));
  ASSERT_TRUE(outbox->flush());
  const auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 0u);
  EXPECT_EQ(s.bytes, 0u);
  EXPECT_EQ(s.inflight, 0u);
  EXPECT_EQ(s.acked, 1u);
  EXPECT_FALSE(s.oldest_stored_at);
  outbox->release_inflight();
  EXPECT_EQ(next_ids(*outbox, 10), Ids{});
}

TEST_F(OutboxTest, ReportsNotFoundWhenAckingUnknownId) {
  auto outbox = open();
  const auto id = add(*outbox, make_message("t", "p"));
  ASSERT_TRUE(outbox->ack(id));
  const auto again = outbox->ack(id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), OutboxErrc::NotFound);
  EXPECT_EQ(outbox->ack(999).error(), OutboxErrc::NotFound);
  EXPECT_EQ(stats_of(*outbox).acked, 1u);
}

TEST_F(OutboxTest, SkipsInflightRowsWhenNextIsCalledAgain) {
  auto outbox = open();
  for (int i = 0; i < 4; ++i) add(*outbox, make_message("t", "p"));
  EXPECT_EQ(next_ids(*outbox, 2), (Ids{1, 2}));
  EXPECT_EQ(outbox->inflight(), 2u);
  // Appended while 1 and 2 are in flight: comes after 3 and 4.
  const auto late = add(*outbox, make_message("t", "late"));
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{3, 4, late}));
  EXPECT_EQ(outbox->inflight(), 5u);
}

TEST_F(OutboxTest, ReturnsHigherPriorityRowFirstWhenAppendedDuringPipelining) {
  auto outbox = open();
  add(*outbox, make_message("t", "1"));
  add(*outbox, make_message("t", "2"));
  EXPECT_EQ(next_ids(*outbox, 1), (Ids{1}));
  const auto urgent = add(*outbox, make_message("alarm", "!"), 9);
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{urgent, 2}));
}

TEST_F(OutboxTest, DeletesRowsWhenAckedOutOfOrder) {
  auto outbox = open();
  for (int i = 0; i < 4; ++i) add(*outbox, make_message("t", "p"));
  ASSERT_EQ(next_ids(*outbox, 4), (Ids{1, 2, 3, 4}));
  ASSERT_TRUE(outbox->ack(3));
  ASSERT_TRUE(outbox->ack(1));
  EXPECT_EQ(outbox->inflight(), 2u);
  outbox->release_inflight();
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{2, 4}));
  EXPECT_EQ(stats_of(*outbox).rows, 2u);
}

TEST_F(OutboxTest, ReturnsInflightRowsAgainWhenReleased) {
  auto outbox = open();
  for (int i = 0; i < 3; ++i) add(*outbox, make_message("t", "p"), i == 1 ? 1 : 0);
  ASSERT_EQ(next_ids(*outbox, 10), (Ids{2, 1, 3}));
  EXPECT_EQ(next_ids(*outbox, 10), Ids{});
  outbox->release_inflight();
  EXPECT_EQ(outbox->inflight(), 0u);
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{2, 1, 3}));
}

TEST_F(OutboxTest, KeepsHeldRowsInFlightAcrossARelease) {
  auto outbox = open();
  for (int i = 0; i < 4; ++i) add(*outbox, make_message("t", "p"));
  ASSERT_EQ(next_ids(*outbox, 10), (Ids{1, 2, 3, 4}));
  outbox->release_inflight({2, 4, 99});  // 99 was never in flight: ignored
  EXPECT_EQ(outbox->inflight(), 2u);
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{1, 3}));  // a resumed session sends 2 and 4 itself
  EXPECT_EQ(stats_of(*outbox).rows, 4u);
  ASSERT_TRUE(outbox->ack(2));
  EXPECT_EQ(outbox->inflight(), 3u);  // 1, 3 and 4
  EXPECT_EQ(stats_of(*outbox).rows, 3u);
}

TEST_F(OutboxTest, ReturnsNackedHeldRowOnceInItsPlace) {
  auto outbox = open();
  for (int i = 0; i < 3; ++i) add(*outbox, make_message("t", "p"));
  ASSERT_EQ(next_ids(*outbox, 10), (Ids{1, 2, 3}));
  outbox->release_inflight({1, 2});
  // Released before any next(): the cursor is at the start, the scan finds them.
  ASSERT_TRUE(outbox->nack(1));
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{1, 3}));
  // Passed by the scan while held: it comes back below the cursor, once.
  ASSERT_TRUE(outbox->nack(2));
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{2}));
  EXPECT_EQ(next_ids(*outbox, 10), Ids{});
}

TEST_F(OutboxTest, HeldRowsStayHeldAcrossASecondRelease) {
  auto outbox = open();
  for (int i = 0; i < 2; ++i) add(*outbox, make_message("t", "p"));
  ASSERT_EQ(next_ids(*outbox, 10), (Ids{1, 2}));
  outbox->release_inflight({1});
  outbox->release_inflight({1});  // another connection attempt failed before CONNACK
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{2}));
  outbox->release_inflight();
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{1, 2}));
}

TEST_F(OutboxTest, ReturnsNackedRowInSendOrderWhenNacked) {
  auto outbox = open();
  for (int i = 0; i < 4; ++i) add(*outbox, make_message("t", "p"));
  ASSERT_EQ(next_ids(*outbox, 3), (Ids{1, 2, 3}));
  ASSERT_TRUE(outbox->nack(2));
  EXPECT_EQ(outbox->inflight(), 2u);
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{2, 4}));
  EXPECT_EQ(outbox->nack(42).error(), OutboxErrc::NotFound);
}

TEST_F(OutboxTest, SkipsNackedRowWhenAckedMeanwhile) {
  auto outbox = open();
  add(*outbox, make_message("t", "p"));
  add(*outbox, make_message("t", "p"));
  ASSERT_EQ(next_ids(*outbox, 2), (Ids{1, 2}));
  ASSERT_TRUE(outbox->nack(1));
  ASSERT_TRUE(outbox->ack(1));  // a late PUBACK for the first attempt
  EXPECT_EQ(next_ids(*outbox, 10), Ids{});
}

TEST_F(OutboxTest, ReturnsUncommittedRowsWhenNotYetFlushed) {
  auto outbox = open();
  const auto id = add(*outbox, make_message("t", "p"));
  EXPECT_TRUE(outbox->has_pending());
  EXPECT_EQ(next_ids(*outbox, 1), Ids{id});
}

TEST_F(OutboxTest, IsCommitDueWhenMaxMessagesPending) {
  auto o = options();
  o.commit_max_messages = 3;
  auto outbox = open(o);
  EXPECT_FALSE(outbox->commit_due());
  add(*outbox, make_message("t", "p"));
  add(*outbox, make_message("t", "p"));
  EXPECT_FALSE(outbox->commit_due());
  add(*outbox, make_message("t", "p"));
  EXPECT_TRUE(outbox->commit_due());
  EXPECT_EQ(stats_of(*outbox).pending_writes, 3u);
  ASSERT_TRUE(outbox->flush());
  EXPECT_FALSE(outbox->commit_due());
  EXPECT_FALSE(outbox->has_pending());
  EXPECT_EQ(stats_of(*outbox).pending_writes, 0u);
}

TEST_F(OutboxTest, IsCommitDueWhenWindowElapsed) {
  auto o = options();
  o.commit_window = milliseconds(50);
  auto outbox = open(o);
  add(*outbox, make_message("t", "p"));
  clock_.advance(milliseconds(49));
  EXPECT_FALSE(outbox->commit_due());
  clock_.advance(milliseconds(1));
  EXPECT_TRUE(outbox->commit_due());
  ASSERT_TRUE(outbox->flush());
  EXPECT_FALSE(outbox->commit_due());
}

TEST_F(OutboxTest, CountsAcksAsPendingWritesWhenGrouping) {
  auto o = options();
  o.commit_max_messages = 2;
  auto outbox = open(o);
  add(*outbox, make_message("t", "p"));
  ASSERT_TRUE(outbox->flush());
  ASSERT_TRUE(outbox->ack(1));
  EXPECT_FALSE(outbox->commit_due());
  add(*outbox, make_message("t", "p"));
  EXPECT_TRUE(outbox->commit_due());
}

TEST_F(OutboxTest, KeepsTotalsWhenAppendingAndAcking) {
  auto outbox = open();
  const auto m1 = make_message("abc", "12345");  // 5 route + 3 + 5
  auto m2 = make_message("t", "");
  m2.props.content_type = "x";  // props blob: 2 + 4 + 1 = 7 bytes
  const auto t0 = clock_.wall_ms();
  add(*outbox, m1);
  clock_.advance(milliseconds(10));
  add(*outbox, m2);
  auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 2u);
  EXPECT_EQ(s.bytes, 13u + 13u);
  EXPECT_EQ(s.appended, 2u);
  EXPECT_EQ(s.oldest_stored_at, t0);
  ASSERT_TRUE(outbox->ack(1));
  s = stats_of(*outbox);
  EXPECT_EQ(s.bytes, 13u);
  EXPECT_EQ(s.oldest_stored_at, t0 + 10);
}

TEST_F(OutboxTest, RejectsOptionsWhenOutOfRange) {
  const auto rejected = [&](OutboxOptions o) {
    auto r = Outbox::open(std::move(o), clock_, disk_);
    return !r && r.error() == OutboxErrc::InvalidOptions;
  };
  auto o = options();
  o.path.clear();
  EXPECT_TRUE(rejected(o));
  o = options();
  o.commit_max_messages = 0;
  EXPECT_TRUE(rejected(o));
  o = options();
  o.commit_window = std::chrono::seconds(11);
  EXPECT_TRUE(rejected(o));
  o = options();
  o.max_dead_letters = 0;
  EXPECT_TRUE(rejected(o));
  o = options();
  o.disk_check_interval = milliseconds(-1);
  EXPECT_TRUE(rejected(o));
}

}  // namespace
}  // namespace gw::bridge::test

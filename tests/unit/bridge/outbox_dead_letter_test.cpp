// The dead-letter table: moves, listing, replay, its bound, and corrupt rows set aside.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <chrono>

#include "gateway/bridge/outbox.hpp"
#include "gateway/bridge/outbox_errc.hpp"
#include "tests/unit/bridge/outbox_fixture.hpp"

namespace gw::bridge::test {
namespace {

using std::chrono::seconds;
using Ids = std::vector<std::uint64_t>;
using OutboxDeadLetter = OutboxTest;

TEST_F(OutboxDeadLetter, MovesRowWithReasonWhenDeadLettered) {
  const auto m = full_message();
  {
    auto outbox = open();
    add(*outbox, make_message("t", "1"));
    const auto id = add(*outbox, m, 4, "cloud-eu");
    add(*outbox, make_message("t", "3"));
    ASSERT_EQ(next_ids(*outbox, 10), (Ids{id, 1, 3}));
    clock_.advance(seconds(2));
    ASSERT_TRUE(outbox->dead_letter(id, "packet too large: 300000 > 262144"));
    EXPECT_EQ(outbox->inflight(), 2u);
    ASSERT_TRUE(outbox->flush());
    const auto s = stats_of(*outbox);
    EXPECT_EQ(s.rows, 2u);
    EXPECT_EQ(s.dead_letters, 1u);
    EXPECT_EQ(s.dead_lettered, 1u);
    EXPECT_EQ(s.drops.total(), 0u);
  }
  auto outbox = open();
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{1, 3}));
  auto dead = outbox->dead_letters(10);
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1u);
  const auto& d = dead->front();
  EXPECT_EQ(d.stored.id, 2u);
  EXPECT_EQ(d.stored.route, "cloud-eu");
  EXPECT_EQ(d.stored.priority, 4);
  EXPECT_EQ(d.reason, "packet too large: 300000 > 262144");
  EXPECT_EQ(d.dead_at, clock_.wall_ms());
  auto expected = m;
  expected.props.message_expiry = 3598;
  EXPECT_EQ(d.stored.message, expected);
  EXPECT_EQ(stats_of(*outbox).dead_letters, 1u);
}

TEST_F(OutboxDeadLetter, ReplaysDeadLetterAtEndWithNewIdWhenReplayed) {
  auto outbox = open();
  add(*outbox, make_message("t", "1"));
  add(*outbox, make_message("t", "2"));
  ASSERT_TRUE(outbox->dead_letter(1, "test"));
  add(*outbox, make_message("t", "3"));
  clock_.advance(seconds(5));
  auto replayed = outbox->replay_dead_letter(1);
  ASSERT_TRUE(replayed);
  EXPECT_EQ(*replayed, 4u);
  auto batch = outbox->next(10);
  ASSERT_TRUE(batch);
  ASSERT_EQ(ids(*batch), (Ids{2, 3, 4}));
  EXPECT_EQ(batch->back().message.payload, "1");
  EXPECT_EQ(batch->back().stored_at, clock_.wall_ms());
  const auto s = stats_of(*outbox);
  EXPECT_EQ(s.dead_letters, 0u);
  EXPECT_EQ(s.replayed, 1u);
  EXPECT_EQ(s.rows, 3u);
  auto dead = outbox->dead_letters(10);
  ASSERT_TRUE(dead);
  EXPECT_TRUE(dead->empty());
}

TEST_F(OutboxDeadLetter, ReportsNotFoundWhenIdIsUnknown) {
  auto outbox = open();
  add(*outbox, make_message("t", "1"));
  EXPECT_EQ(outbox->dead_letter(7, "x").error(), OutboxErrc::NotFound);
  EXPECT_EQ(outbox->replay_dead_letter(1).error(), OutboxErrc::NotFound);
  ASSERT_TRUE(outbox->dead_letter(1, "x"));
  EXPECT_EQ(outbox->dead_letter(1, "x").error(), OutboxErrc::NotFound);
  EXPECT_TRUE(outbox->replay_dead_letter(1));
  EXPECT_EQ(outbox->replay_dead_letter(1).error(), OutboxErrc::NotFound);
  EXPECT_EQ(stats_of(*outbox).rows, 1u);
}

TEST_F(OutboxDeadLetter, DropsOldestDeadLetterWhenMaxDeadLettersReached) {
  auto o = options();
  o.max_dead_letters = 2;
  auto outbox = open(o);
  for (int i = 0; i < 3; ++i) {
    add(*outbox, make_message("t", std::to_string(i)));
    clock_.advance(seconds(1));
    ASSERT_TRUE(outbox->dead_letter(static_cast<std::uint64_t>(i + 1), "r"));
  }
  const auto s = stats_of(*outbox);
  EXPECT_EQ(s.dead_letters, 2u);
  EXPECT_EQ(s.dead_letters_dropped, 1u);
  auto dead = outbox->dead_letters(10);
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 2u);
  EXPECT_EQ((*dead)[0].stored.id, 2u);
  EXPECT_EQ((*dead)[1].stored.id, 3u);
}

TEST_F(OutboxDeadLetter, AppliesLimitsWhenReplaying) {
  auto o = options();
  o.max_rows = 1;
  o.overflow = OverflowPolicy::DropNewest;
  auto outbox = open(o);
  add(*outbox, make_message("t", "1"));
  ASSERT_TRUE(outbox->dead_letter(1, "r"));
  add(*outbox, make_message("t", "2"));
  EXPECT_EQ(outbox->replay_dead_letter(1).error(), OutboxErrc::Full);
  EXPECT_EQ(stats_of(*outbox).dead_letters, 1u);
}

TEST_F(OutboxDeadLetter, MovesCorruptRowToDeadLettersWhenNextCannotDecodeIt) {
  {
    auto outbox = open();
    for (int i = 0; i < 3; ++i) add(*outbox, make_message("t", std::to_string(i)));
    ASSERT_TRUE(outbox->flush());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE outbox SET props = x'07ff' WHERE id = 2", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  auto outbox = open();
  EXPECT_EQ(next_ids(*outbox, 10), (Ids{1, 3}));
  const auto s = stats_of(*outbox);
  EXPECT_EQ(s.rows, 2u);
  EXPECT_EQ(s.dead_letters, 1u);
  auto dead = outbox->dead_letters(10);
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ(dead->front().stored.id, 2u);
  EXPECT_EQ(dead->front().stored.message.payload, "1");
  EXPECT_NE(dead->front().reason.find("corrupt"), std::string::npos);
}

}  // namespace
}  // namespace gw::bridge::test

// The write-behind journal: coalescing within a window, session ends, and the bound.
#include "broker/persistence/journal.hpp"

#include <gtest/gtest.h>

namespace gw::broker::persistence {
namespace {

PersistedMessage message(std::uint64_t key, const char* topic = "t") {
  auto m = std::make_shared<Message>();
  m->topic = topic;
  m->payload = "p";
  m->qos = QoS::AtLeastOnce;
  return PersistedMessage{.key = key, .message = m};
}

JournalBatch take(Journal& j, std::set<std::string>* dirty = nullptr) {
  std::set<std::string> scratch;
  return j.take(dirty != nullptr ? *dirty : scratch);
}

TEST(Journal, MessageQueuedAndAckedWithinOneWindowNeverReachesTheStore) {
  Journal j;
  j.message_put("c", message(1), /*fresh=*/true);
  j.message_put("c", message(1), /*fresh=*/false);  // went in flight
  j.message_removed(1);                               // acknowledged
  EXPECT_TRUE(j.empty());
  EXPECT_EQ(take(j).changes(), 0U);
}

TEST(Journal, RemovingAMessageWrittenEarlierReachesTheStore) {
  Journal j;
  j.message_put("c", message(1), true);
  auto first = take(j);
  ASSERT_EQ(first.messages_put.size(), 1U);
  EXPECT_EQ(first.messages_put[0].first, "c");
  j.message_put("c", message(1), false);  // an update of the stored row
  j.message_removed(1);
  auto second = take(j);
  EXPECT_TRUE(second.messages_put.empty());
  EXPECT_EQ(second.messages_removed, std::vector<std::uint64_t>{1});
}

TEST(Journal, LastChangePerKeyWins) {
  Journal j;
  SubscriptionOptions q1{.max_qos = QoS::AtLeastOnce};
  SubscriptionOptions q2{.max_qos = QoS::ExactlyOnce, .subscription_id = 9};
  j.subscription_set("c", "a/#", q1);
  j.subscription_set("c", "a/#", q2);
  j.subscription_set("c", "b", q1);
  j.subscription_removed("c", "b");
  auto m = std::make_shared<Message>(Message{.topic = "r", .payload = "1", .retain = true});
  j.retained_set(m, 10);
  j.retained_removed("r");
  j.retained_set(std::make_shared<Message>(Message{.topic = "s", .payload = "2"}), 11);
  j.session_changed("c");
  j.session_changed("c");
  std::set<std::string> dirty;
  auto b = take(j, &dirty);
  ASSERT_EQ(b.subscriptions_set.size(), 1U);
  EXPECT_EQ(b.subscriptions_set[0].second.filter, "a/#");
  EXPECT_EQ(b.subscriptions_set[0].second.options, q2);
  ASSERT_EQ(b.subscriptions_removed.size(), 1U);
  EXPECT_EQ(b.subscriptions_removed[0].second, "b");
  EXPECT_EQ(b.retained_removed, std::vector<std::string>{"r"});
  ASSERT_EQ(b.retained_set.size(), 1U);
  EXPECT_EQ(b.retained_set[0].message->topic, "s");
  EXPECT_EQ(dirty, std::set<std::string>{"c"});
  EXPECT_TRUE(j.empty());
}

TEST(Journal, EndedSessionDropsItsOwnPendingChangesOnly) {
  Journal j;
  j.session_changed("gone");
  j.subscription_set("gone", "x", {});
  j.message_put("gone", message(1), true);
  j.message_put("stays", message(2), true);
  j.subscription_set("stays", "y", {});
  j.session_ended("gone");
  std::set<std::string> dirty;
  auto b = take(j, &dirty);
  EXPECT_EQ(b.ended_sessions, std::vector<std::string>{"gone"});
  EXPECT_TRUE(dirty.empty());
  ASSERT_EQ(b.messages_put.size(), 1U);
  EXPECT_EQ(b.messages_put[0].first, "stays");
  ASSERT_EQ(b.subscriptions_set.size(), 1U);
  EXPECT_EQ(b.subscriptions_set[0].first, "stays");
}

TEST(Journal, SessionEndedThenMadeAgainKeepsTheNewChanges) {
  Journal j;
  j.session_ended("c");
  j.session_changed("c");
  j.subscription_set("c", "new", {});
  std::set<std::string> dirty;
  auto b = take(j, &dirty);
  EXPECT_EQ(b.ended_sessions, std::vector<std::string>{"c"});  // applied first by the store
  EXPECT_EQ(dirty, std::set<std::string>{"c"});
  EXPECT_EQ(b.subscriptions_set.size(), 1U);
}

TEST(Journal, BoundReachedDropsEntriesAndAsksForASnapshot) {
  Journal j(/*max_changes=*/3);
  j.message_put("c", message(1), true);
  j.message_put("c", message(2), true);
  j.message_put("c", message(3), true);
  EXPECT_FALSE(j.overflowed());
  j.message_put("c", message(4), true);
  EXPECT_TRUE(j.overflowed());
  EXPECT_EQ(j.overflows(), 1U);
  EXPECT_TRUE(j.empty());
  j.message_put("c", message(5), true);  // ignored: the snapshot will hold it
  EXPECT_TRUE(j.empty());
  j.clear_overflow();
  j.message_put("c", message(6), true);
  EXPECT_EQ(j.size(), 1U);
}

}  // namespace
}  // namespace gw::broker::persistence

#include "broker/retained_store.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace gw::broker {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::shared_ptr<const Message> msg(std::string topic, std::string payload = "v",
                                   std::optional<std::uint32_t> expiry = {}) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->retain = true;
  m->props.message_expiry = expiry;
  return m;
}

// Topics of the retained messages that `filter` yields, sorted.
std::set<std::string> topics(RetainedStore& store, std::string_view filter,
                             RetainedStore::time_point now) {
  std::set<std::string> out;
  store.match(filter, now, [&](const RetainedMatch& m) {
    EXPECT_TRUE(out.insert(m.message->topic).second) << "yielded twice: " << m.message->topic;
  });
  return out;
}

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> levels;
  std::size_t pos = 0;
  while (true) {
    const std::size_t slash = s.find('/', pos);
    if (slash == std::string_view::npos) {
      levels.emplace_back(s.substr(pos));
      return levels;
    }
    levels.emplace_back(s.substr(pos, slash - pos));
    pos = slash + 1;
  }
}

// MQTT 5 §4.7 spelled out over split levels: the reference for the randomized test.
bool reference_match(std::string_view filter, std::string_view topic) {
  const auto f = split(filter);
  const auto t = split(topic);
  if (topic.starts_with('$') && (f[0] == "+" || f[0] == "#")) return false;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == "#") return true;
    if (i >= t.size()) return false;
    if (f[i] != "+" && f[i] != t[i]) return false;
  }
  return f.size() == t.size();
}

class RetainedStoreTest : public ::testing::Test {
 protected:
  core::FakeClock clock_;
  RetainedStore store_;

  RetainedStore::time_point now() const { return clock_.steady(); }
  RetainResult put(std::string topic, std::string payload = "v",
                   std::optional<std::uint32_t> expiry = {}) {
    return store_.retain(msg(std::move(topic), std::move(payload), expiry), now());
  }
};

using Topics = std::set<std::string>;

TEST_F(RetainedStoreTest, StoresAndReplacesWhenSameTopicIsRetainedAgain) {
  EXPECT_EQ(put("a/b", "one"), RetainResult::Stored);
  EXPECT_EQ(put("a/b", "two"), RetainResult::Replaced);
  EXPECT_EQ(store_.size(), 1u);
  const auto found = store_.find("a/b", now());
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->payload, "two");
  EXPECT_EQ(store_.find("a", now()), nullptr);
  EXPECT_EQ(store_.find("a/b/c", now()), nullptr);
}

TEST_F(RetainedStoreTest, SharesTheMessageWhenYieldingIt) {
  auto m = msg("a/b");
  const Message* raw = m.get();
  store_.retain(std::move(m), now());
  std::shared_ptr<const Message> queued;
  store_.match("a/+", now(), [&](const RetainedMatch& r) { queued = r.message; });
  EXPECT_EQ(queued.get(), raw);
  EXPECT_EQ(queued.use_count(), 2);
}

// MQTT 5 §3.3.1.3 [MQTT-3.3.1-6], [MQTT-3.3.1-7].
TEST_F(RetainedStoreTest, DeletesRetainedMessageWhenPayloadIsEmpty) {
  put("a/b/c");
  put("a/x");
  EXPECT_EQ(store_.node_count(), 4u);
  EXPECT_EQ(put("a/b/c", ""), RetainResult::Deleted);
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(store_.find("a/b/c", now()), nullptr);
  EXPECT_EQ(store_.node_count(), 2u);  // a, x: the empty branch was pruned
  EXPECT_EQ(put("a/b/c", ""), RetainResult::NothingToDelete);
  EXPECT_EQ(put("zzz", ""), RetainResult::NothingToDelete);
  EXPECT_EQ(store_.node_count(), 2u);  // the empty payload created nothing
  EXPECT_EQ(topics(store_, "#", now()), (Topics{"a/x"}));
}

TEST_F(RetainedStoreTest, KeepsInnerNodeWhenErasingMessageAboveOthers) {
  put("a");
  put("a/b");
  EXPECT_TRUE(store_.erase("a"));
  EXPECT_FALSE(store_.erase("a"));
  EXPECT_EQ(store_.node_count(), 2u);
  EXPECT_EQ(topics(store_, "a/#", now()), (Topics{"a/b"}));
  EXPECT_TRUE(store_.erase("a/b"));
  EXPECT_EQ(store_.node_count(), 0u);
  EXPECT_TRUE(store_.empty());
}

TEST_F(RetainedStoreTest, CountsBytesWhenStoringReplacingAndDeleting) {
  auto m = std::make_shared<Message>();
  m->topic = "t/1";                      // 3
  m->payload = "12345";                  // 5
  m->props.content_type = "text/plain";  // 10
  m->props.user.push_back({"k", "vv"});  // 3
  store_.retain(m, now());
  EXPECT_EQ(store_.bytes(), 21u);
  EXPECT_EQ(RetainedStore::message_bytes(*m), 21u);
  put("t/1", "1");
  EXPECT_EQ(store_.bytes(), 4u);
  put("t/22", "abc");
  EXPECT_EQ(store_.bytes(), 11u);
  put("t/1", "");
  EXPECT_EQ(store_.bytes(), 7u);
}

// MQTT 5 §4.7.1.2 and §4.7.1.3, seen from the retained side.
TEST_F(RetainedStoreTest, YieldsMatchingTopicsWhenFilterHasWildcards) {
  for (const char* t :
       {"sport", "sport/", "sport/tennis", "sport/tennis/player1", "sport/tennis/player1/ranking",
        "sport/tennis/player1/score/wimbledon", "sport/tennis/player2", "/finance", "finance"}) {
    put(t);
  }
  EXPECT_EQ(topics(store_, "sport/tennis/player1/#", now()),
            (Topics{"sport/tennis/player1", "sport/tennis/player1/ranking",
                    "sport/tennis/player1/score/wimbledon"}));
  EXPECT_EQ(topics(store_, "sport/#", now()),
            (Topics{"sport", "sport/", "sport/tennis", "sport/tennis/player1",
                    "sport/tennis/player1/ranking", "sport/tennis/player1/score/wimbledon",
                    "sport/tennis/player2"}));
  EXPECT_EQ(topics(store_, "sport/tennis/+", now()),
            (Topics{"sport/tennis/player1", "sport/tennis/player2"}));
  EXPECT_EQ(topics(store_, "sport/+", now()), (Topics{"sport/", "sport/tennis"}));
  EXPECT_EQ(topics(store_, "+/+", now()), (Topics{"sport/", "sport/tennis", "/finance"}));
  EXPECT_EQ(topics(store_, "/+", now()), (Topics{"/finance"}));
  EXPECT_EQ(topics(store_, "+", now()), (Topics{"sport", "finance"}));
  EXPECT_EQ(topics(store_, "+/tennis/#", now()),
            (Topics{"sport/tennis", "sport/tennis/player1", "sport/tennis/player1/ranking",
                    "sport/tennis/player1/score/wimbledon", "sport/tennis/player2"}));
  EXPECT_EQ(topics(store_, "sport/tennis", now()), (Topics{"sport/tennis"}));
  EXPECT_TRUE(topics(store_, "sport/tennis/player3", now()).empty());
  EXPECT_EQ(topics(store_, "#", now()).size(), 9u);
}

// MQTT 5 §4.7.2 [MQTT-4.7.2-1].
TEST_F(RetainedStoreTest, SkipsDollarTopicsWhenFilterStartsWithWildcard) {
  put("$SYS/broker/clients");
  put("$SYS/monitor/Clients");
  put("site/$x");
  EXPECT_EQ(topics(store_, "#", now()), (Topics{"site/$x"}));
  EXPECT_EQ(topics(store_, "+/monitor/Clients", now()), Topics{});
  EXPECT_EQ(topics(store_, "+/+", now()), (Topics{"site/$x"}));
  EXPECT_EQ(topics(store_, "$SYS/#", now()),
            (Topics{"$SYS/broker/clients", "$SYS/monitor/Clients"}));
  EXPECT_EQ(topics(store_, "$SYS/monitor/+", now()), (Topics{"$SYS/monitor/Clients"}));
}

// MQTT 5 §3.3.2.3.3 Message Expiry Interval, driven by a fake clock.
TEST_F(RetainedStoreTest, DropsMessageWhenExpiryIntervalHasPassed) {
  put("a/expiring", "v", 10);
  put("a/forever");
  EXPECT_EQ(store_.next_expiry(), now() + seconds(10));

  clock_.advance(milliseconds(9'500));
  std::map<std::string, std::optional<std::uint32_t>> seen;
  store_.match("a/#", now(),
               [&](const RetainedMatch& m) { seen[m.message->topic] = m.remaining_expiry; });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen["a/expiring"], 1u);  // 10 s minus the 9 whole seconds waited
  EXPECT_EQ(seen["a/forever"], std::nullopt);

  clock_.advance(milliseconds(500));
  EXPECT_EQ(topics(store_, "a/#", now()), (Topics{"a/forever"}));
  EXPECT_EQ(store_.size(), 1u);  // removed by the match that met it
  EXPECT_EQ(store_.next_expiry(), std::nullopt);
  EXPECT_EQ(store_.node_count(), 2u);
}

TEST_F(RetainedStoreTest, ReturnsNothingWhenFindingExpiredMessage) {
  put("t", "v", 1);
  EXPECT_NE(store_.find("t", now()), nullptr);
  clock_.advance(seconds(1));
  EXPECT_EQ(store_.find("t", now()), nullptr);
  EXPECT_TRUE(store_.empty());
  EXPECT_EQ(store_.bytes(), 0u);
}

TEST_F(RetainedStoreTest, PurgesOnlyExpiredMessagesWhenPurging) {
  put("a", "v", 5);
  put("b", "v", 10);
  put("c", "v", 20);
  put("d");
  put("b", "v", 30);  // replacing restarts the interval and replaces the deadline
  clock_.advance(seconds(12));
  EXPECT_EQ(store_.purge_expired(now()), 1u);
  EXPECT_EQ(topics(store_, "#", now()), (Topics{"b", "c", "d"}));
  EXPECT_EQ(store_.next_expiry(), now() + seconds(8));
  clock_.advance(seconds(100));
  EXPECT_EQ(store_.purge_expired(now()), 2u);
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(store_.next_expiry(), std::nullopt);
}

TEST_F(RetainedStoreTest, DropsExpiryWhenReplacedByMessageWithoutOne) {
  put("t", "v", 1);
  put("t", "w");
  clock_.advance(seconds(5));
  EXPECT_EQ(store_.purge_expired(now()), 0u);
  EXPECT_NE(store_.find("t", now()), nullptr);
}

TEST_F(RetainedStoreTest, AgreesWithReferenceMatcherWhenTopicsAreRandom) {
  std::mt19937 rng(424242);
  const char* const kTopicLevels[] = {"a", "b", "c", "", "$s"};
  const char* const kFilterLevels[] = {"a", "b", "", "$s", "+", "+"};
  std::uniform_int_distribution<int> len(1, 4);
  std::uniform_int_distribution<int> topic_level(0, 4);
  std::uniform_int_distribution<int> filter_level(0, 5);
  std::uniform_int_distribution<int> coin(0, 3);

  const auto random_topic = [&] {
    std::string t;
    const int n = len(rng);
    for (int i = 0; i < n; ++i)
      t += (i > 0 ? "/" : "") + std::string(kTopicLevels[topic_level(rng)]);
    return t.empty() ? std::string("c") : t;
  };
  const auto random_filter = [&] {
    std::string f;
    const int n = len(rng);
    for (int i = 0; i < n; ++i)
      f += (i > 0 ? "/" : "") + std::string(kFilterLevels[filter_level(rng)]);
    if (coin(rng) == 0) f += "/#";
    return f.empty() ? std::string("#") : f;
  };

  std::set<std::string> reference;
  for (int round = 0; round < 2000; ++round) {
    const std::string topic = random_topic();
    if (coin(rng) == 0) {
      put(topic, "");
      reference.erase(topic);
    } else {
      put(topic);
      reference.insert(topic);
    }
    ASSERT_EQ(store_.size(), reference.size());

    const std::string filter = random_filter();
    Topics want;
    for (const auto& t : reference) {
      if (reference_match(filter, t)) want.insert(t);
    }
    ASSERT_EQ(topics(store_, filter, now()), want) << "filter '" << filter << "' round " << round;
  }
  for (const auto& t : reference) EXPECT_TRUE(store_.erase(t));
  EXPECT_EQ(store_.node_count(), 0u);
  EXPECT_EQ(store_.bytes(), 0u);
}

}  // namespace
}  // namespace gw::broker

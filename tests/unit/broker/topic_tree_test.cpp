#include "broker/topic_tree.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/subscription_aggregator.hpp"

namespace gw::broker {
namespace {

constexpr SubscriberId kAlice{1};
constexpr SubscriberId kBob{2};
constexpr SubscriberId kCarol{3};

SubscriptionOptions opts(QoS qos = QoS::AtMostOnce, std::optional<std::uint32_t> id = {}) {
  SubscriptionOptions o;
  o.max_qos = qos;
  o.subscription_id = id;
  return o;
}

// Does a tree holding only `filter` match `topic`?
bool matches(std::string_view filter, std::string_view topic) {
  TopicTree tree;
  tree.subscribe(filter, kAlice, opts());
  std::vector<Match> out;
  tree.match(topic, out);
  return !out.empty();
}

// Subscribers yielded for `topic`, sorted, repeats kept.
std::vector<SubscriberId> matched(TopicTree& tree, std::string_view topic) {
  std::vector<SubscriberId> ids;
  tree.match(topic, [&](const Match& m) { ids.push_back(m.subscriber); });
  std::sort(ids.begin(), ids.end());
  return ids;
}

// The MQTT 5 §4.7 rules spelled out over split levels: the reference for the randomized test.
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

bool reference_match(std::string_view filter, std::string_view topic) {
  const auto f = split(filter);
  const auto t = split(topic);
  if (topic.starts_with('$') && (f[0] == "+" || f[0] == "#")) return false;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == "#") return true;  // matches the parent level and any children
    if (i >= t.size()) return false;
    if (f[i] != "+" && f[i] != t[i]) return false;
  }
  return f.size() == t.size();
}

// --- MQTT 5 §4.7.1.2 Multi-level wildcard: the spec's examples --------------------------------

TEST(TopicTree, MultiLevelWildcardMatchesSpecExamples) {
  EXPECT_TRUE(matches("sport/tennis/player1/#", "sport/tennis/player1"));
  EXPECT_TRUE(matches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
  EXPECT_TRUE(matches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
  EXPECT_TRUE(matches("sport/#", "sport"));
  EXPECT_TRUE(matches("#", "sport/tennis/player1"));
  EXPECT_FALSE(matches("sport/tennis/player1/#", "sport/tennis/player2"));
  EXPECT_FALSE(matches("sport/tennis/player1/#", "sport/tennis"));
}

// --- MQTT 5 §4.7.1.3 Single-level wildcard: the spec's examples -------------------------------

TEST(TopicTree, SingleLevelWildcardMatchesSpecExamples) {
  EXPECT_TRUE(matches("sport/tennis/+", "sport/tennis/player1"));
  EXPECT_TRUE(matches("sport/tennis/+", "sport/tennis/player2"));
  EXPECT_FALSE(matches("sport/tennis/+", "sport/tennis/player1/ranking"));
  EXPECT_FALSE(matches("sport/+", "sport"));
  EXPECT_TRUE(matches("sport/+", "sport/"));
  EXPECT_TRUE(matches("+/+", "/finance"));
  EXPECT_TRUE(matches("/+", "/finance"));
  EXPECT_FALSE(matches("+", "/finance"));
  EXPECT_TRUE(matches("+/tennis/#", "sport/tennis/player1/ranking"));
  EXPECT_TRUE(matches("sport/+/player1", "sport/tennis/player1"));
}

TEST(TopicTree, MatchesLiterallyAndCaseSensitivelyWhenNoWildcards) {
  EXPECT_TRUE(matches("ACCOUNTS", "ACCOUNTS"));
  EXPECT_FALSE(matches("ACCOUNTS", "Accounts"));
  EXPECT_TRUE(matches("Accounts payable", "Accounts payable"));
  EXPECT_FALSE(matches("sport", "sport/"));
  EXPECT_FALSE(matches("sport/", "sport"));
}

TEST(TopicTree, TreatsEmptyLevelsAsLevelsWhenMatching) {
  EXPECT_TRUE(matches("a//b", "a//b"));
  EXPECT_TRUE(matches("a/+/b", "a//b"));
  EXPECT_FALSE(matches("a/b", "a//b"));
  EXPECT_TRUE(matches("/a", "/a"));
  EXPECT_TRUE(matches("+/a", "/a"));
  EXPECT_TRUE(matches("#", "/a"));
  EXPECT_TRUE(matches("a/#", "a/"));
  EXPECT_TRUE(matches("a/+", "a/"));
  EXPECT_FALSE(matches("a", "a/"));
  EXPECT_TRUE(matches("+/+", "/"));
  EXPECT_FALSE(matches("+", "/"));
}

// --- MQTT 5 §4.7.2 Topics beginning with $ -----------------------------------------------------

TEST(TopicTree, SkipsDollarTopicsWhenFilterStartsWithWildcard) {
  EXPECT_FALSE(matches("#", "$SYS/broker/clients"));
  EXPECT_FALSE(matches("+/monitor/Clients", "$SYS/monitor/Clients"));
  EXPECT_FALSE(matches("+", "$SYS"));
  EXPECT_TRUE(matches("$SYS/#", "$SYS/monitor/Clients"));
  EXPECT_TRUE(matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
  EXPECT_TRUE(matches("$SYS/#", "$SYS"));
  // Only the first level is special: a '$' further down is an ordinary character.
  EXPECT_TRUE(matches("a/+", "a/$b"));
  EXPECT_TRUE(matches("a/#", "a/$b/c"));
  EXPECT_FALSE(matches("$share/g/#", "$SYS/x"));
}

// --- subscribe / unsubscribe / remove_all ------------------------------------------------------

TEST(TopicTree, ReplacesSubscriptionWhenSameSubscriberSubscribesSameFilterAgain) {
  TopicTree tree;
  protocol::SubscriptionOptions granted;
  granted.max_qos = QoS::ExactlyOnce;
  granted.retain_as_published = true;
  granted.retain_handling = RetainHandling::DoNotSend;
  const SubscriptionOptions replacement = make_subscription_options(granted, 9);
  EXPECT_EQ(tree.subscribe("a/+", kAlice, opts(QoS::AtMostOnce, 7)), SubscribeResult::Added);
  EXPECT_EQ(tree.subscribe("a/+", kAlice, replacement), SubscribeResult::Replaced);
  EXPECT_EQ(tree.size(), 1u);
  EXPECT_EQ(tree.subscription_count(kAlice), 1u);

  std::vector<Match> out;
  tree.match("a/b", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subscriber, kAlice);
  EXPECT_EQ(out[0].options, replacement);
  EXPECT_EQ(out[0].options.retain_handling, RetainHandling::DoNotSend);
  EXPECT_EQ(out[0].options.subscription_id, 9u);
  EXPECT_FALSE(out[0].shared());
}

TEST(TopicTree, KeepsBothWhenDifferentSubscribersUseSameFilter) {
  TopicTree tree;
  EXPECT_EQ(tree.subscribe("a/b", kBob, opts()), SubscribeResult::Added);
  EXPECT_EQ(tree.subscribe("a/b", kAlice, opts()), SubscribeResult::Added);
  EXPECT_EQ(tree.size(), 2u);
  EXPECT_EQ(tree.subscriber_count(), 2u);
  EXPECT_EQ(matched(tree, "a/b"), (std::vector<SubscriberId>{kAlice, kBob}));
}

TEST(TopicTree, ReturnsFalseWhenUnsubscribingWithoutSubscription) {
  TopicTree tree;
  EXPECT_FALSE(tree.unsubscribe("a/b", kAlice));
  tree.subscribe("a/b", kAlice, opts());
  EXPECT_FALSE(tree.unsubscribe("a/b", kBob));
  EXPECT_FALSE(tree.unsubscribe("a/+", kAlice));
  EXPECT_FALSE(tree.unsubscribe("a", kAlice));
  EXPECT_FALSE(tree.unsubscribe("$share/g/a/b", kAlice));
  EXPECT_TRUE(tree.unsubscribe("a/b", kAlice));
  EXPECT_FALSE(tree.unsubscribe("a/b", kAlice));
  EXPECT_TRUE(tree.empty());
}

TEST(TopicTree, PrunesEmptyNodesWhenUnsubscribing) {
  TopicTree tree;
  tree.subscribe("site/line1/machine1/temp", kAlice, opts());
  tree.subscribe("site/line1/+/speed", kBob, opts());
  tree.subscribe("site/#", kCarol, opts());
  EXPECT_EQ(tree.node_count(), 7u);  // site, line1, machine1, temp, +, speed, #

  EXPECT_TRUE(tree.unsubscribe("site/line1/machine1/temp", kAlice));
  EXPECT_EQ(tree.node_count(), 5u);  // machine1 and temp are gone, line1 still holds '+'
  EXPECT_TRUE(tree.unsubscribe("site/line1/+/speed", kBob));
  EXPECT_EQ(tree.node_count(), 2u);  // site, #
  EXPECT_TRUE(tree.unsubscribe("site/#", kCarol));
  EXPECT_EQ(tree.node_count(), 0u);
  EXPECT_TRUE(tree.empty());
  EXPECT_EQ(tree.subscriber_count(), 0u);
  EXPECT_TRUE(matched(tree, "site/line1/machine1/temp").empty());
}

TEST(TopicTree, KeepsInnerNodeWhenItStillHoldsSubscriptions) {
  TopicTree tree;
  tree.subscribe("a", kAlice, opts());
  tree.subscribe("a/b", kAlice, opts());
  EXPECT_TRUE(tree.unsubscribe("a/b", kAlice));
  EXPECT_EQ(tree.node_count(), 1u);
  EXPECT_EQ(matched(tree, "a"), (std::vector<SubscriberId>{kAlice}));
}

TEST(TopicTree, RemovesEverySubscriptionOfOneSubscriberWhenSessionEnds) {
  TopicTree tree;
  tree.subscribe("a/b", kAlice, opts());
  tree.subscribe("a/#", kAlice, opts());
  tree.subscribe("$share/g/a/b", kAlice, opts());
  tree.subscribe("x/y/z", kAlice, opts());
  tree.subscribe("a/b", kBob, opts());
  tree.subscribe("$share/g/a/b", kBob, opts());
  EXPECT_EQ(tree.size(), 6u);

  EXPECT_EQ(tree.remove_all(kAlice), 4u);
  EXPECT_EQ(tree.remove_all(kAlice), 0u);
  EXPECT_EQ(tree.size(), 2u);
  EXPECT_EQ(tree.shared_size(), 1u);
  EXPECT_EQ(tree.subscription_count(kAlice), 0u);
  EXPECT_EQ(tree.node_count(), 2u);  // a, b
  // Bob's normal and shared subscriptions both still deliver.
  EXPECT_EQ(matched(tree, "a/b"), (std::vector<SubscriberId>{kBob, kBob}));
  EXPECT_EQ(tree.remove_all(kBob), 2u);
  EXPECT_EQ(tree.node_count(), 0u);
}

// --- shared subscriptions (MQTT 5 §4.8.2) -------------------------------------------------------

TEST(TopicTree, ChoosesOneMemberRoundRobinWhenShareGroupMatches) {
  TopicTree tree;
  tree.subscribe("$share/workers/jobs/+", kAlice, opts());
  tree.subscribe("$share/workers/jobs/+", kBob, opts());
  tree.subscribe("$share/workers/jobs/+", kCarol, opts());
  EXPECT_EQ(tree.shared_size(), 3u);

  std::vector<SubscriberId> chosen;
  for (int i = 0; i < 6; ++i) {
    std::vector<Match> out;
    tree.match("jobs/1", out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].shared());
    EXPECT_EQ(out[0].share_group, "workers");
    chosen.push_back(out[0].subscriber);
  }
  EXPECT_EQ(chosen, (std::vector<SubscriberId>{kAlice, kBob, kCarol, kAlice, kBob, kCarol}));
}

TEST(TopicTree, ContinuesRoundRobinWithNextMemberWhenMemberLeaves) {
  TopicTree tree;
  tree.subscribe("$share/g/t", kAlice, opts());
  tree.subscribe("$share/g/t", kBob, opts());
  tree.subscribe("$share/g/t", kCarol, opts());
  EXPECT_EQ(matched(tree, "t"), (std::vector<SubscriberId>{kAlice}));  // next: Bob
  EXPECT_TRUE(tree.unsubscribe("$share/g/t", kAlice));
  EXPECT_EQ(matched(tree, "t"), (std::vector<SubscriberId>{kBob}));
  EXPECT_TRUE(tree.unsubscribe("$share/g/t", kCarol));  // was next
  EXPECT_EQ(matched(tree, "t"), (std::vector<SubscriberId>{kBob}));
  EXPECT_TRUE(tree.unsubscribe("$share/g/t", kBob));
  EXPECT_TRUE(matched(tree, "t").empty());
  EXPECT_EQ(tree.node_count(), 0u);
}

TEST(TopicTree, YieldsOneMemberPerGroupAndEveryNormalSubscriptionWhenBothMatch) {
  TopicTree tree;
  tree.subscribe("$share/g1/s/#", kAlice, opts());
  tree.subscribe("$share/g1/s/#", kBob, opts());
  tree.subscribe("$share/g2/s/#", kCarol, opts());
  tree.subscribe("s/x", kAlice, opts());
  tree.subscribe("s/#", kBob, opts());

  std::vector<Match> out;
  tree.match("s/x", out);
  std::size_t normal = 0;
  std::multiset<std::string_view> groups;
  for (const Match& m : out) {
    if (m.shared()) {
      groups.insert(m.share_group);
    } else {
      ++normal;
    }
  }
  EXPECT_EQ(normal, 2u);
  EXPECT_EQ(groups, (std::multiset<std::string_view>{"g1", "g2"}));
  // '#' matches the parent level for shared subscriptions too.
  EXPECT_EQ(matched(tree, "s").size(), 3u);  // Bob via s/#, one of g1, Carol via g2
}

TEST(TopicTree, KeepsSharedAndNormalSubscriptionsIndependentWhenSameSubscriber) {
  TopicTree tree;
  EXPECT_EQ(tree.subscribe("a/b", kAlice, opts(QoS::AtMostOnce)), SubscribeResult::Added);
  EXPECT_EQ(tree.subscribe("$share/g/a/b", kAlice, opts(QoS::AtLeastOnce)), SubscribeResult::Added);
  EXPECT_EQ(tree.subscribe("$share/h/a/b", kAlice, opts(QoS::ExactlyOnce)), SubscribeResult::Added);
  EXPECT_EQ(tree.subscribe("$share/g/a/b", kAlice, opts(QoS::ExactlyOnce)),
            SubscribeResult::Replaced);
  EXPECT_EQ(tree.size(), 3u);
  EXPECT_EQ(tree.shared_size(), 2u);

  EXPECT_TRUE(tree.unsubscribe("a/b", kAlice));
  std::vector<Match> out;
  tree.match("a/b", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].shared());
  EXPECT_TRUE(out[1].shared());
  EXPECT_EQ(out[0].options.max_qos, QoS::ExactlyOnce);
  EXPECT_EQ(out[1].options.max_qos, QoS::ExactlyOnce);
}

// --- match() mechanics ---------------------------------------------------------------------------

TEST(TopicTree, YieldsEachOverlappingSubscriptionWhenOneSubscriberMatchesSeveralFilters) {
  TopicTree tree;
  tree.subscribe("a/b", kAlice, opts(QoS::AtMostOnce, 1));
  tree.subscribe("a/+", kAlice, opts(QoS::AtLeastOnce, 2));
  tree.subscribe("a/#", kAlice, opts(QoS::ExactlyOnce, 3));
  tree.subscribe("#", kAlice, opts(QoS::AtMostOnce, 4));
  tree.subscribe("+/b", kAlice, opts(QoS::AtMostOnce, 5));
  std::set<std::uint32_t> ids;
  tree.match("a/b", [&](const Match& m) { ids.insert(*m.options.subscription_id); });
  EXPECT_EQ(ids, (std::set<std::uint32_t>{1, 2, 3, 4, 5}));
}

TEST(TopicTree, ClearsOutputBufferWhenMatchingIntoIt) {
  TopicTree tree;
  tree.subscribe("a", kAlice, opts());
  std::vector<Match> out;
  tree.match("a", out);
  tree.match("a", out);
  EXPECT_EQ(out.size(), 1u);
  tree.match("b", out);
  EXPECT_TRUE(out.empty());
}

TEST(TopicTree, AllowsNestedMatchWhenVisitorMatchesAgain) {
  TopicTree tree;
  tree.subscribe("a/+", kAlice, opts());
  tree.subscribe("a/#", kBob, opts());
  tree.subscribe("b", kCarol, opts());
  std::vector<SubscriberId> inner;
  std::size_t outer = 0;
  tree.match("a/x", [&](const Match&) {
    ++outer;
    tree.match("b", [&](const Match& m) { inner.push_back(m.subscriber); });
  });
  EXPECT_EQ(outer, 2u);
  EXPECT_EQ(inner, (std::vector<SubscriberId>{kCarol, kCarol}));
}

TEST(TopicTree, MatchesDeepTopicWhenFilterIsDeep) {
  std::string topic = "x";
  for (int i = 0; i < 5000; ++i) topic += "/x";
  TopicTree tree;
  tree.subscribe(topic, kAlice, opts());
  tree.subscribe("x/+/x/#", kBob, opts());
  EXPECT_EQ(matched(tree, topic), (std::vector<SubscriberId>{kAlice, kBob}));
  EXPECT_TRUE(tree.unsubscribe(topic, kAlice));
  EXPECT_EQ(tree.node_count(), 4u);
}

// --- SubscriptionAggregator (MQTT 5 §3.3.4) -----------------------------------------------------

TEST(SubscriptionAggregator, MergesOverlappingSubscriptionsWhenSameSubscriber) {
  TopicTree tree;
  tree.subscribe("a/b", kAlice, opts(QoS::AtMostOnce));
  tree.subscribe("a/+", kAlice, opts(QoS::AtLeastOnce, 11));
  tree.subscribe("a/#", kAlice, opts(QoS::ExactlyOnce, 12));
  tree.subscribe("a/#", kBob, opts(QoS::AtLeastOnce));

  SubscriptionAggregator agg;
  agg.reset(std::nullopt);
  tree.match("a/b", agg.visitor());
  const auto deliveries = agg.finish();
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[0].subscriber, kAlice);
  EXPECT_EQ(deliveries[0].max_qos, QoS::ExactlyOnce);
  std::vector<std::uint32_t> ids(deliveries[0].subscription_ids.begin(),
                                 deliveries[0].subscription_ids.end());
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{11, 12}));
  EXPECT_EQ(deliveries[1].subscriber, kBob);
  EXPECT_EQ(deliveries[1].max_qos, QoS::AtLeastOnce);
  EXPECT_TRUE(deliveries[1].subscription_ids.empty());
}

TEST(SubscriptionAggregator, KeepsRetainFlagWhenAnyMergedSubscriptionRetainsAsPublished) {
  TopicTree tree;
  SubscriptionOptions rap = opts();
  rap.retain_as_published = true;
  tree.subscribe("a/b", kAlice, opts());
  tree.subscribe("a/#", kAlice, rap);
  tree.subscribe("a/b", kBob, opts());

  SubscriptionAggregator agg;
  agg.reset(std::nullopt);
  tree.match("a/b", agg.visitor());
  const auto deliveries = agg.finish();
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_TRUE(deliveries[0].retain_as_published);
  EXPECT_FALSE(deliveries[1].retain_as_published);
}

TEST(SubscriptionAggregator, DropsNoLocalSubscriptionWhenSubscriberIsPublisher) {
  TopicTree tree;
  SubscriptionOptions no_local = opts(QoS::ExactlyOnce, 1);
  no_local.no_local = true;
  tree.subscribe("a/#", kAlice, no_local);
  tree.subscribe("a/b", kBob, no_local);

  SubscriptionAggregator agg;
  agg.reset(kAlice);
  tree.match("a/b", agg.visitor());
  auto deliveries = agg.finish();
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].subscriber, kBob);

  // Another overlapping subscription without No Local still delivers, with only its own id.
  tree.subscribe("a/+", kAlice, opts(QoS::AtMostOnce, 2));
  agg.reset(kAlice);
  tree.match("a/b", agg.visitor());
  deliveries = agg.finish();
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[0].subscriber, kAlice);
  EXPECT_EQ(deliveries[0].max_qos, QoS::AtMostOnce);
  ASSERT_EQ(deliveries[0].subscription_ids.size(), 1u);
  EXPECT_EQ(deliveries[0].subscription_ids[0], 2u);
}

TEST(SubscriptionAggregator, DeliversSharedCopySeparatelyWhenSubscriberAlsoHasNormalSubscription) {
  TopicTree tree;
  tree.subscribe("a/b", kAlice, opts(QoS::AtMostOnce, 1));
  tree.subscribe("$share/g/a/b", kAlice, opts(QoS::ExactlyOnce, 2));

  SubscriptionAggregator agg;
  agg.reset(std::nullopt);
  tree.match("a/b", agg.visitor());
  const auto deliveries = agg.finish();
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_FALSE(deliveries[0].shared());
  EXPECT_EQ(deliveries[0].max_qos, QoS::AtMostOnce);
  ASSERT_EQ(deliveries[0].subscription_ids.size(), 1u);
  EXPECT_EQ(deliveries[0].subscription_ids[0], 1u);
  EXPECT_TRUE(deliveries[1].shared());
  EXPECT_EQ(deliveries[1].share_group, "g");
  EXPECT_EQ(deliveries[1].max_qos, QoS::ExactlyOnce);
  ASSERT_EQ(deliveries[1].subscription_ids.size(), 1u);
  EXPECT_EQ(deliveries[1].subscription_ids[0], 2u);
}

// --- randomized cross-check against reference_match ---------------------------------------------

std::string random_topic(std::mt19937& rng) {
  static const char* const kLevels[] = {"a", "b", "c", "", "$s"};
  std::uniform_int_distribution<int> len(1, 4);
  std::uniform_int_distribution<int> pick(0, 4);
  std::string topic;
  const int n = len(rng);
  for (int i = 0; i < n; ++i) {
    if (i > 0) topic += '/';
    topic += kLevels[pick(rng)];
  }
  return topic.empty() ? "c" : topic;  // a topic name is at least one character [MQTT-4.7.3-1]
}

std::string random_filter(std::mt19937& rng) {
  static const char* const kLevels[] = {"a", "b", "", "$s", "+", "+"};
  std::uniform_int_distribution<int> len(1, 4);
  std::uniform_int_distribution<int> pick(0, 5);
  std::uniform_int_distribution<int> coin(0, 3);
  std::string filter;
  const int n = len(rng);
  for (int i = 0; i < n; ++i) {
    if (i > 0) filter += '/';
    filter += kLevels[pick(rng)];
  }
  if (coin(rng) == 0) filter += "/#";
  return filter.empty() ? "#" : filter;  // a filter is at least one character [MQTT-4.7.3-1]
}

TEST(TopicTree, AgreesWithReferenceMatcherWhenSubscriptionsAreRandom) {
  std::mt19937 rng(20240917);
  std::uniform_int_distribution<std::uint64_t> who(1, 12);
  std::uniform_int_distribution<int> action(0, 9);

  TopicTree tree;
  // (subscriber, filter) -> the subscription id identifying that subscription.
  std::map<std::pair<std::uint64_t, std::string>, std::uint32_t> reference;
  std::uint32_t next_id = 1;

  for (int round = 0; round < 3000; ++round) {
    const int a = action(rng);
    const std::uint64_t s = who(rng);
    if (a < 6) {
      const std::string filter = random_filter(rng);
      const bool existed = reference.count({s, filter}) != 0;
      const auto r = tree.subscribe(filter, SubscriberId{s}, opts(QoS::AtMostOnce, next_id));
      EXPECT_EQ(r, existed ? SubscribeResult::Replaced : SubscribeResult::Added) << filter;
      reference[{s, filter}] = next_id++;
    } else if (a < 9) {
      const std::string filter = random_filter(rng);
      EXPECT_EQ(tree.unsubscribe(filter, SubscriberId{s}), reference.erase({s, filter}) == 1);
    } else if (round % 10 == 0) {
      std::size_t expected = 0;
      for (auto it = reference.begin(); it != reference.end();) {
        if (it->first.first == s) {
          it = reference.erase(it);
          ++expected;
        } else {
          ++it;
        }
      }
      EXPECT_EQ(tree.remove_all(SubscriberId{s}), expected);
    }
    ASSERT_EQ(tree.size(), reference.size());

    const std::string topic = random_topic(rng);
    std::multiset<std::uint32_t> want;
    for (const auto& [key, id] : reference) {
      if (reference_match(key.second, topic)) want.insert(id);
    }
    std::multiset<std::uint32_t> got;
    tree.match(topic, [&](const Match& m) { got.insert(*m.options.subscription_id); });
    ASSERT_EQ(got, want) << "topic '" << topic << "' round " << round;
  }

  for (std::uint64_t s = 1; s <= 12; ++s) tree.remove_all(SubscriberId{s});
  EXPECT_TRUE(tree.empty());
  EXPECT_EQ(tree.node_count(), 0u);
}

TEST(TopicTree, YieldsOneMemberPerMatchingGroupWhenSharedSubscriptionsAreRandom) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::uint64_t> who(1, 6);
  std::uniform_int_distribution<int> group(0, 2);
  TopicTree tree;
  std::set<std::pair<std::string, std::string>> groups;  // (group, filter)
  for (int i = 0; i < 300; ++i) {
    const std::string g = "g" + std::to_string(group(rng));
    const std::string filter = random_filter(rng);
    tree.subscribe("$share/" + g + "/" + filter, SubscriberId{who(rng)}, opts());
    groups.emplace(g, filter);
  }
  for (int i = 0; i < 500; ++i) {
    const std::string topic = random_topic(rng);
    std::size_t want = 0;
    for (const auto& [g, filter] : groups) want += reference_match(filter, topic) ? 1 : 0;
    std::size_t got = 0;
    tree.match(topic, [&](const Match& m) {
      EXPECT_TRUE(m.shared());
      ++got;
    });
    ASSERT_EQ(got, want) << topic;
  }
}

}  // namespace
}  // namespace gw::broker

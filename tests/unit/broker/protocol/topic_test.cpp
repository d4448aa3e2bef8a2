// TopicName, TopicFilter (with shared subscriptions) and matching.
#include "broker/protocol/topic_filter.hpp"
#include "broker/protocol/topic_name.hpp"
#include "codec_test_support.hpp"

namespace gw::broker::protocol::test {
namespace {

TEST(TopicName, AcceptsValidNames) {
  for (const char* t : {"a", "a/b", "/", "a//b", "$SYS/x", " ", "\xc3\xa9t\xc3\xa9", "a\x01" "b"}) {
    EXPECT_TRUE(TopicName::make(t)) << t;
  }
  EXPECT_TRUE(TopicName::make(std::string(65535, 'a')));
}

TEST(TopicName, RefusesInvalidNames) {
  for (const std::string& t : {std::string(""), std::string("a/+"), std::string("#"),
                              std::string("a+b"), std::string("a/b#"), std::string(65536, 'a'),
                              std::string("a\0b", 3), std::string("\xed\xa0\x80")}) {
    auto r = TopicName::make(t);
    ASSERT_FALSE(r) << t;
    EXPECT_EQ(r.error(), ec(MqttErrc::TopicNameInvalid));
  }
}

TEST(TopicFilter, AcceptsValidFilters) {
  for (const char* f : {"a", "#", "+", "a/#", "a/+/c", "+/+", "/#", "+/", "a//+", "$SYS/#",
                        "$share/g/a/#", "$share/g/+", "$share", "$shared/x", "$sharex"}) {
    EXPECT_TRUE(TopicFilter::make(f)) << f;
  }
}

TEST(TopicFilter, RefusesInvalidFilters) {
  for (const std::string& f :
       {std::string(""), std::string("a#"), std::string("#/a"), std::string("a/#/b"),
        std::string("a+"), std::string("+a"), std::string("a/b+/c"), std::string("##"),
        std::string("$share/"), std::string("$share//a"), std::string("$share/g"),
        std::string("$share/g/"), std::string("$share/g+/a"), std::string("$share/#/a"),
        std::string("$share/g/a#"), std::string(65536, 'a'), std::string("a\0", 2),
        std::string("\xff")}) {
    auto r = TopicFilter::make(f);
    ASSERT_FALSE(r) << f;
    EXPECT_EQ(r.error(), ec(MqttErrc::TopicFilterInvalid));
  }
}

TEST(TopicFilter, ExposesShareNameAndInnerFilter) {
  const auto f = filter("$share/group-1/site/+/temp");
  EXPECT_TRUE(f.is_shared());
  EXPECT_EQ(f.share_name(), "group-1");
  EXPECT_EQ(f.filter(), "site/+/temp");
  EXPECT_EQ(f.str(), "$share/group-1/site/+/temp");
  EXPECT_TRUE(f.has_wildcards());

  const auto plain = filter("site/a");
  EXPECT_FALSE(plain.is_shared());
  EXPECT_EQ(plain.share_name(), "");
  EXPECT_EQ(plain.filter(), "site/a");
  EXPECT_FALSE(plain.has_wildcards());
}

TEST(TopicFilter, MatchesPerSpecExamples) {
  const struct {
    const char* filter;
    const char* topic;
    bool match;
  } cases[] = {
      // MQTT 5 §4.7.1.2 examples.
      {"sport/tennis/player1/#", "sport/tennis/player1", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
      {"sport/#", "sport", true},
      {"#", "sport/tennis", true},
      // MQTT 5 §4.7.1.3 examples.
      {"sport/tennis/+", "sport/tennis/player1", true},
      {"sport/tennis/+", "sport/tennis/player1/ranking", false},
      {"sport/+", "sport", false},
      {"sport/+", "sport/", true},
      {"+/+", "/finance", true},
      {"/+", "/finance", true},
      {"+", "/finance", false},
      // MQTT 5 §4.7.2: $-topics and wildcards.
      {"#", "$SYS/monitor/Clients", false},
      {"+/monitor/Clients", "$SYS/monitor/Clients", false},
      {"$SYS/#", "$SYS/monitor/Clients", true},
      {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
      // Exact and mismatch.
      {"a/b", "a/b", true},
      {"a/b", "a/bc", false},
      {"a/b", "a", false},
      {"a", "a/b", false},
      {"a/+/c", "a//c", true},
      {"$share/g/a/+", "a/b", true},
      {"$share/g/#", "$SYS/x", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(matches(filter(c.filter), c.topic), c.match) << c.filter << " vs " << c.topic;
  }
}

}  // namespace
}  // namespace gw::broker::protocol::test

// Unit tests for bridge::TopicMapping: prefix, template, strip, and invalid results.
#include <gtest/gtest.h>

#include "core/mqtt_errc.hpp"
#include "gateway/bridge/topic_mapping.hpp"

namespace gw::bridge {
namespace {

std::string mapped(const TopicMapping& m, std::string_view topic) {
  auto out = m.apply(topic);
  EXPECT_TRUE(out) << topic;
  return out ? *out : std::string();
}

TEST(BridgeTopicMapping, KeepsTopicWhenTargetIsEmpty) {
  EXPECT_EQ(mapped(TopicMapping{}, "plant/boiler/temp"), "plant/boiler/temp");
}

TEST(BridgeTopicMapping, PrependsPrefixWhenTargetHasNoPlaceholder) {
  const TopicMapping prefix{.strip_prefix = "", .target = "site-7/"};
  EXPECT_EQ(mapped(prefix, "boiler/temp"), "site-7/boiler/temp");
}

TEST(BridgeTopicMapping, ReplacesEveryPlaceholderWhenTargetIsTemplate) {
  TopicMapping m{.strip_prefix = "", .target = "a/{topic}/b/{topic}"};
  EXPECT_EQ(mapped(m, "x/y"), "a/x/y/b/x/y");
}

TEST(BridgeTopicMapping, StripsPrefixOnlyWhenPresent) {
  TopicMapping m{.strip_prefix = "cmd/", .target = "plant/{topic}/set"};
  EXPECT_EQ(mapped(m, "cmd/valve"), "plant/valve/set");
  EXPECT_EQ(mapped(m, "other/valve"), "plant/other/valve/set");
}

TEST(BridgeTopicMapping, FailsWhenResultHasWildcardsOrIsEmpty) {
  const TopicMapping wildcard{.strip_prefix = "", .target = "a/+/{topic}"};
  const TopicMapping empty{.strip_prefix = "x", .target = ""};
  const TopicMapping hash{.strip_prefix = "", .target = "#"};
  EXPECT_EQ(wildcard.apply("x").error(), MqttErrc::TopicNameInvalid);
  EXPECT_EQ(empty.apply("x").error(), MqttErrc::TopicNameInvalid);
  EXPECT_EQ(hash.apply("x").error(), MqttErrc::TopicNameInvalid);
}

}  // namespace
}  // namespace gw::bridge

#include "broker/auth/acl.hpp"

#include <gtest/gtest.h>

namespace gw::broker::auth {
namespace {

constexpr auto P = static_cast<std::uint8_t>(Access::Publish);
constexpr auto S = static_cast<std::uint8_t>(Access::Subscribe);
constexpr auto R = static_cast<std::uint8_t>(Access::Receive);

TEST(AclFilters, MatchLikeTheBroker) {
  EXPECT_TRUE(filter_matches("a/+/c", "a/b/c"));
  EXPECT_TRUE(filter_matches("a/#", "a"));
  EXPECT_TRUE(filter_matches("a/#", "a/b/c"));
  EXPECT_TRUE(filter_matches("+/+", "/x"));
  EXPECT_FALSE(filter_matches("a/+", "a/b/c"));
  EXPECT_FALSE(filter_matches("a/b", "a/b/c"));
  EXPECT_FALSE(filter_matches("#", "$SYS/x"));
  EXPECT_FALSE(filter_matches("+/x", "$SYS/x"));
  EXPECT_TRUE(filter_matches("$SYS/#", "$SYS/x"));
}

TEST(AclFilters, CoverOnlyWhatIsInside) {
  EXPECT_TRUE(filter_covers("plant/#", "plant/+/temp"));
  EXPECT_TRUE(filter_covers("plant/#", "plant/#"));
  EXPECT_TRUE(filter_covers("plant/#", "plant"));
  EXPECT_TRUE(filter_covers("plant/+/temp", "plant/boiler/temp"));
  EXPECT_TRUE(filter_covers("plant/+/temp", "plant/+/temp"));
  EXPECT_FALSE(filter_covers("plant/#", "#"));
  EXPECT_FALSE(filter_covers("plant/#", "+/temp"));
  EXPECT_FALSE(filter_covers("plant/+", "plant/#"));
  EXPECT_FALSE(filter_covers("plant/+/temp", "plant/+/+"));
  EXPECT_FALSE(filter_covers("plant/boiler", "plant/+"));
  EXPECT_FALSE(filter_covers("#", "$SYS/#"));
}

TEST(AclFilters, OverlapWhenSomeTopicMatchesBoth) {
  EXPECT_TRUE(filters_overlap("a/+/c", "a/b/+"));
  EXPECT_TRUE(filters_overlap("#", "a/b"));
  EXPECT_TRUE(filters_overlap("a/#", "a"));
  EXPECT_TRUE(filters_overlap("a", "a/#"));
  EXPECT_FALSE(filters_overlap("a/+", "b/+"));
  EXPECT_FALSE(filters_overlap("a/b", "a/b/c"));
  EXPECT_FALSE(filters_overlap("#", "$SYS/x"));
}

TEST(Acl, WithoutRulesEverythingIsAllowed) {
  const Acl acl({});
  EXPECT_TRUE(acl.allows({std::nullopt, "c"}, Access::Publish, "any/thing"));
  EXPECT_TRUE(acl.allows_subscribe({std::nullopt, "c"}, "#"));
}

TEST(Acl, TheFirstMatchingRuleDecidesAndNoMatchDenies) {
  const Acl acl({
      {.user = "guest", .topic = "plant/secret/#", .access = R | S, .deny = true},
      {.topic = "plant/#", .access = S | R},
      {.user = "hmi", .topic = "plant/+/set", .access = P},
  });
  const Principal hmi{"hmi", "hmi-1"};
  const Principal guest{"guest", "g"};
  const Principal anon{std::nullopt, "x"};
  EXPECT_TRUE(acl.allows(hmi, Access::Receive, "plant/boiler/temp"));
  EXPECT_TRUE(acl.allows(hmi, Access::Publish, "plant/boiler/set"));
  EXPECT_FALSE(acl.allows(guest, Access::Publish, "plant/boiler/set"));
  EXPECT_FALSE(acl.allows(anon, Access::Publish, "plant/boiler/set"));
  EXPECT_TRUE(acl.allows(anon, Access::Receive, "plant/boiler/temp"));
  EXPECT_FALSE(acl.allows(guest, Access::Receive, "plant/secret/key"));
  EXPECT_TRUE(acl.allows(guest, Access::Receive, "plant/boiler/temp"));
  EXPECT_FALSE(acl.allows(hmi, Access::Receive, "other/topic"));

  EXPECT_TRUE(acl.allows_subscribe(hmi, "plant/#"));
  EXPECT_TRUE(acl.allows_subscribe(hmi, "plant/+/temp"));
  EXPECT_TRUE(acl.allows_subscribe(hmi, "$share/g/plant/+/temp"));
  EXPECT_FALSE(acl.allows_subscribe(hmi, "#"));
  // The guest's deny rule refuses any subscription that could reach the secret topics.
  EXPECT_FALSE(acl.allows_subscribe(guest, "plant/#"));
  EXPECT_FALSE(acl.allows_subscribe(guest, "plant/+/key"));
  EXPECT_TRUE(acl.allows_subscribe(guest, "plant/boiler/#"));
}

TEST(Acl, PatternsStandForTheUserAndClientIdButNeverForWildcards) {
  const Acl acl({
      {.topic = "users/%u/#", .access = P | S | R},
      {.topic = "devices/%c/out", .access = P},
  });
  EXPECT_TRUE(acl.allows({"alice", "c1"}, Access::Publish, "users/alice/x"));
  EXPECT_FALSE(acl.allows({"alice", "c1"}, Access::Publish, "users/bob/x"));
  EXPECT_FALSE(acl.allows({std::nullopt, "c1"}, Access::Publish, "users//x"));
  EXPECT_TRUE(acl.allows({std::nullopt, "pump-7"}, Access::Publish, "devices/pump-7/out"));
  EXPECT_FALSE(acl.allows({std::nullopt, "pump-7"}, Access::Publish, "devices/pump-8/out"));
  // A user called "#" or a client id with a '/' does not widen the rule.
  EXPECT_FALSE(acl.allows({"#", "c"}, Access::Publish, "users/anything/x"));
  EXPECT_FALSE(acl.allows_subscribe({"#", "c"}, "users/#"));
  EXPECT_FALSE(acl.allows({std::nullopt, "a/b"}, Access::Publish, "devices/a/b/out"));
  EXPECT_FALSE(acl.allows({std::nullopt, "+"}, Access::Publish, "devices/x/out"));
}

TEST(Acl, ADenyRuleThatCannotBeExpandedDeniesAndDollarNamesStandForNothing) {
  const Acl acl({{.topic = "private/%u/#", .access = P | S | R, .deny = true},
                 {.topic = "%c/#", .access = P | S | R},
                 {.topic = "#", .access = P | S | R}});
  // An anonymous client has no %u: the deny rule cannot say whose subtree it is, so it denies.
  EXPECT_FALSE(acl.allows({std::nullopt, "c"}, Access::Publish, "anything"));
  EXPECT_FALSE(acl.allows_subscribe({std::nullopt, "c"}, "anything"));
  EXPECT_FALSE(acl.allows({"alice", "c"}, Access::Publish, "private/alice/x"));
  EXPECT_TRUE(acl.allows({"alice", "c"}, Access::Publish, "private/bob/x"));
  // A client id "$SYS" does not turn "%c/#" into "$SYS/#" (and "#" does not reach '$' topics).
  EXPECT_FALSE(acl.allows({"alice", "$SYS"}, Access::Receive, "$SYS/broker/load"));
}

TEST(Acl, RulesForAClientIdOrUserApplyOnlyToIt) {
  const Acl acl({{.client_id = "bridge-1", .topic = "#", .access = P | S | R},
                 {.user = "ops", .topic = "#", .access = S | R}});
  EXPECT_TRUE(acl.allows({std::nullopt, "bridge-1"}, Access::Publish, "x/y"));
  EXPECT_FALSE(acl.allows({std::nullopt, "bridge-2"}, Access::Publish, "x/y"));
  EXPECT_TRUE(acl.allows_subscribe({"ops", "any"}, "#"));
  EXPECT_FALSE(acl.allows({"ops", "any"}, Access::Publish, "x/y"));
}

}  // namespace
}  // namespace gw::broker::auth

#include "config/gateway_section.hpp"

#include <gtest/gtest.h>

#include "load_helpers.hpp"

namespace gw::config {
namespace {

using test::errors;
using test::load;

TEST(GatewaySection, ParsesEveryKey) {
  auto r = load("gateway:\n  id: plant-1\n  data_dir: /srv/gw\n  log_level: debug\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.report, "");
  EXPECT_EQ(r.config->gateway.id, "plant-1");
  EXPECT_EQ(r.config->gateway.data_dir, "/srv/gw");
  EXPECT_EQ(r.config->gateway.log_level, core::LogLevel::Debug);
}

TEST(GatewaySection, KeepsDefaultsWhenTheSectionIsEmpty) {
  auto r = load("gateway:\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.config->gateway.id, "edge-gateway");
  EXPECT_EQ(r.config->gateway.data_dir, "/var/lib/edge-gateway");
  EXPECT_EQ(r.config->gateway.log_level, core::LogLevel::Info);
}

TEST(GatewaySection, RejectsAnIdThatIsNotATopicLevel) {
  EXPECT_EQ(errors("gateway:\n  id: plant/1\n"),
            "t.yaml:2:7: error: gateway.id: 'plant/1' is not a valid identifier: use 1..64 of "
            "A-Z a-z 0-9 . _ -\n");
}

TEST(GatewaySection, RejectsAnEmptyDataDir) {
  EXPECT_EQ(errors("gateway:\n  data_dir: ''\n"),
            "t.yaml:2:13: error: gateway.data_dir: must not be empty\n");
}

TEST(GatewaySection, RejectsAnUnknownLogLevelWithASuggestion) {
  EXPECT_EQ(errors("gateway:\n  log_level: warning\n"),
            "t.yaml:2:14: error: gateway.log_level: 'warning' is not one of trace, debug, info, "
            "warn, error, critical, off; did you mean 'warn'?\n");
}

TEST(GatewaySection, RejectsANumericLogLevel) {
  EXPECT_EQ(errors("gateway:\n  log_level: 3\n"),
            "t.yaml:2:14: error: gateway.log_level: '3' is not one of trace, debug, info, warn, "
            "error, critical, off\n");
}

TEST(GatewaySection, AcceptsExactlyTheLogLevelsCoreKnows) {
  for (const char* word : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    auto r = load(std::string("gateway: {log_level: ") + word + "}\n");
    ASSERT_TRUE(r.config) << word << ": " << r.report;
    EXPECT_EQ(core::parse_log_level(word), r.config->gateway.log_level) << word;
  }
}

TEST(GatewaySection, RejectsAMappingWhereAStringBelongs) {
  EXPECT_EQ(errors("gateway:\n  id: {a: 1}\n"),
            "t.yaml:2:7: error: gateway.id: expected an identifier, got a mapping\n");
}

}  // namespace
}  // namespace gw::config

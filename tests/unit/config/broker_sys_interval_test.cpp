// broker.sys_interval: how often $SYS/ is published (gateway/sys_topics.hpp).
#include <gtest/gtest.h>

#include "load_helpers.hpp"

namespace gw::config {
namespace {

using namespace std::chrono_literals;
using test::errors;
using test::load;

TEST(BrokerSysInterval, DefaultsToTenSecondsLikeMosquitto) {
  auto r = load("gateway: {id: plant-1}\n");
  ASSERT_TRUE(r.config) << r.report;
  EXPECT_EQ(r.config->broker.sys_interval, 10s);
}

TEST(BrokerSysInterval, AcceptsZeroForOffAndWholeSecondsUpToADay) {
  auto off = load("broker:\n  sys_interval: 0s\n");
  ASSERT_TRUE(off.config) << off.report;
  EXPECT_EQ(off.config->broker.sys_interval, 0s);
  auto minute = load("broker:\n  sys_interval: 1m\n");
  ASSERT_TRUE(minute.config) << minute.report;
  EXPECT_EQ(minute.config->broker.sys_interval, 60s);
  auto day = load("broker:\n  sys_interval: 1d\n");
  ASSERT_TRUE(day.config) << day.report;
  EXPECT_EQ(day.config->broker.sys_interval, 86400s);
}

TEST(BrokerSysInterval, RejectsOutOfRangeFractionsAndNonDurationsWithTheirPlace) {
  EXPECT_EQ(errors("broker:\n  sys_interval: 2d\n"),
            "t.yaml:2:17: error: broker.sys_interval: 2d out of range 0s..1d\n");
  EXPECT_EQ(errors("broker:\n  sys_interval: 1500ms\n"),
            "t.yaml:2:17: error: broker.sys_interval: '1500ms' is not a whole number of seconds\n");
  EXPECT_NE(errors("broker:\n  sys_interval: often\n").find("t.yaml:2:17: error: broker.sys_interval"),
            std::string::npos);
  EXPECT_NE(errors("broker:\n  sys_interval: [1s]\n").find("t.yaml:2:17: error: broker.sys_interval"),
            std::string::npos);
}

}  // namespace
}  // namespace gw::config

// The edge-gateway binary's command line, run as a real process.
#include <csignal>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {
namespace {

using ::testing::HasSubstr;

TEST(Cli, PrintsVersion) {
  auto r = run({gateway_binary(), "--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.output, HasSubstr("edge-gateway 0."));
}

TEST(Cli, RefusesMissingSubcommandWithUsageExit) {
  auto r = run({gateway_binary()});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("subcommand"));
}

TEST(Cli, RefusesUnknownOption) {
  auto r = run({gateway_binary(), "run", "--config", "x.yaml", "--frobnicate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("--frobnicate"));
}

TEST(Cli, RunRequiresConfig) {
  auto r = run({gateway_binary(), "run"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("--config"));
}

TEST(Cli, CheckConfigAcceptsValidFileWithOneLineSummary) {
  TempDir dir;
  const auto file = dir.write("ok.yaml", "gateway:\n  id: plant-7\n");
  auto r = run({gateway_binary(), "check-config", file});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("plant-7"));
}

TEST(Cli, CheckConfigReportsEveryErrorWithFileLineColumn) {
  TempDir dir;
  const auto file = dir.write("bad.yaml", "gateway:\n  idd: x\n  log_level: loud\n");
  auto r = run({gateway_binary(), "check-config", file});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr(file + ":2:3: error:"));
  EXPECT_THAT(r.output, HasSubstr("did you mean 'id'"));
  EXPECT_THAT(r.output, HasSubstr(file + ":3:14: error:"));
}

TEST(Cli, CheckConfigReportsMissingFile) {
  auto r = run({gateway_binary(), "check-config", "/nonexistent/edge-gateway.yaml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("/nonexistent/edge-gateway.yaml"));
}

TEST(Cli, RunRefusesInvalidConfigWithoutStarting) {
  TempDir dir;
  const auto file = dir.write("bad.yaml", "broker:\n  listeners:\n    - bind: 127.0.0.1:70000\n");
  auto r = run({gateway_binary(), "run", "--config", file});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr(file + ":3:"));
}

TEST(Cli, RunStopsCleanlyOnSigterm) {
  TempDir dir;
  const auto file = dir.write("ok.yaml", "broker:\n  listeners:\n    - bind: 127.0.0.1:0\n");
  Process gw({gateway_binary(), "run", "--config", file});
  ASSERT_TRUE(wait_until([&] { return gw.output().find("started") != std::string::npos; }))
      << gw.output();
  gw.signal(SIGTERM);
  EXPECT_EQ(gw.wait(), 0) << gw.output();
}

}  // namespace
}  // namespace gw::test

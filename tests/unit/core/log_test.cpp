#include "core/log.hpp"

#include <gtest/gtest.h>

namespace gw::core {
namespace {

TEST(LogLevel, ParsesEveryDocumentedWord) {
  EXPECT_EQ(parse_log_level("trace"), LogLevel::Trace);
  EXPECT_EQ(parse_log_level("debug"), LogLevel::Debug);
  EXPECT_EQ(parse_log_level("info"), LogLevel::Info);
  EXPECT_EQ(parse_log_level("warn"), LogLevel::Warn);
  EXPECT_EQ(parse_log_level("warning"), LogLevel::Warn);
  EXPECT_EQ(parse_log_level("error"), LogLevel::Error);
  EXPECT_EQ(parse_log_level("critical"), LogLevel::Critical);
  EXPECT_EQ(parse_log_level("off"), LogLevel::Off);
}

TEST(LogLevel, RejectsNumbersAndUnknownWords) {
  EXPECT_FALSE(parse_log_level("3"));
  EXPECT_FALSE(parse_log_level("INFO"));
  EXPECT_FALSE(parse_log_level(""));
}

TEST(Logger, PrefixesLinesWithSdPriorityAndTag) {
  setup_logging(LogLevel::Info);
  testing::internal::CaptureStderr();
  auto log = make_logger("broker/listener test");
  log->warn("hello {}", 42);
  log->debug("hidden");
  log->flush();
  const auto err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("<4>"), std::string::npos) << err;
  EXPECT_NE(err.find("broker/listener test: hello 42"), std::string::npos) << err;
  EXPECT_EQ(err.find("hidden"), std::string::npos) << err;
}

}  // namespace
}  // namespace gw::core

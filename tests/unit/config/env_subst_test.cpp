#include "config/env_subst.hpp"

#include <map>

#include <gtest/gtest.h>

namespace gw::config {
namespace {

std::optional<std::string> expand(std::string_view text, std::string& error) {
  static const std::map<std::string, std::string> env{{"HOST", "10.0.0.1"}, {"EMPTY", ""}};
  return expand_env(text, error, [](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional(it->second);
  });
}

std::string ok(std::string_view text) {
  std::string error;
  auto v = expand(text, error);
  EXPECT_TRUE(v.has_value()) << error;
  return v.value_or("<error>");
}

std::string fails(std::string_view text) {
  std::string error;
  EXPECT_FALSE(expand(text, error).has_value());
  return error;
}

TEST(EnvSubst, ReplacesASetVariableAnywhereInTheValue) {
  EXPECT_EQ(ok("${HOST}:1883"), "10.0.0.1:1883");
  EXPECT_EQ(ok("tcp://${HOST}"), "tcp://10.0.0.1");
  EXPECT_EQ(ok("no variables $HOME $ here"), "no variables $HOME $ here");
}

TEST(EnvSubst, UsesTheFallbackWhenUnsetOrEmpty) {
  EXPECT_EQ(ok("${NOPE:-127.0.0.1}"), "127.0.0.1");
  EXPECT_EQ(ok("${EMPTY:-x}"), "x");
  EXPECT_EQ(ok("${HOST:-x}"), "10.0.0.1");
  EXPECT_EQ(ok("${NOPE:-}"), "");
}

TEST(EnvSubst, KeepsAnEmptyValueWithoutFallback) { EXPECT_EQ(ok("[${EMPTY}]"), "[]"); }

TEST(EnvSubst, WritesALiteralDollarBraceForDoubleDollar) { EXPECT_EQ(ok("a$${HOST}"), "a${HOST}"); }

TEST(EnvSubst, ReportsAnUnsetVariableByName) {
  EXPECT_EQ(fails("${NOPE}"),
            "environment variable 'NOPE' is not set (use ${NOPE:-default} for a fallback)");
}

TEST(EnvSubst, ReportsBadSyntax) {
  EXPECT_EQ(fails("${HOST"), "unterminated '${' in '${HOST' (write $${ for a literal ${)");
  EXPECT_EQ(fails("${1X}"),
            "invalid environment variable name '1X' in '${1X}' (letters, digits and '_', not "
            "starting with a digit)");
}

}  // namespace
}  // namespace gw::config

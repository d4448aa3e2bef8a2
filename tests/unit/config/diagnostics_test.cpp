#include "config/diagnostics.hpp"

#include <gtest/gtest.h>

namespace gw::config {
namespace {

YAML::Mark at(int line, int column) {
  YAML::Mark m;
  m.line = line;
  m.column = column;
  return m;
}

TEST(Diagnostics, ConvertsMarksToOneBasedPositions) {
  Diagnostics d("f.yaml");
  d.error(at(0, 0), "first");
  ASSERT_EQ(d.items().size(), 1u);
  EXPECT_EQ(d.items()[0].line, 1);
  EXPECT_EQ(d.items()[0].column, 1);
  EXPECT_EQ(d.items()[0].file, "f.yaml");
  EXPECT_EQ(d.items()[0].severity, Severity::Error);
}

TEST(Diagnostics, FormatsErrorsAndWarningsOnePerLineSortedByPosition) {
  Diagnostics d("f.yaml");
  d.warning(at(4, 2), "later");
  d.error(at(1, 0), "earlier");
  EXPECT_EQ(d.format(), "f.yaml:2:1: error: earlier\nf.yaml:5:3: warning: later\n");
  EXPECT_EQ(d.items()[0].message, "later");  // items() keeps report order
}

TEST(Diagnostics, OmitsThePositionWhenTheMarkIsNull) {
  Diagnostics d("f.yaml");
  d.error(YAML::Mark::null_mark(), "cannot read");
  EXPECT_EQ(d.items()[0].line, 0);
  EXPECT_EQ(d.format(), "f.yaml: error: cannot read\n");
}

TEST(Diagnostics, HasErrorsOnlyWhenAnErrorWasReported) {
  Diagnostics d("f.yaml");
  EXPECT_FALSE(d.has_errors());
  EXPECT_EQ(d.format(), "");
  d.warning(at(0, 0), "w");
  EXPECT_FALSE(d.has_errors());
  d.error(at(0, 0), "e");
  EXPECT_TRUE(d.has_errors());
  EXPECT_EQ(d.error_count(), 1u);
}

}  // namespace
}  // namespace gw::config

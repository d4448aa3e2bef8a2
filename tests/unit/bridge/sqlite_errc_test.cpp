#include "gateway/bridge/sqlite_errc.hpp"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include "gateway/bridge/outbox_errc.hpp"

namespace gw::bridge {
namespace {

TEST(SqliteErrc, CarriesResultCodeAndSqliteTextWhenMade) {
  const auto ec = make_sqlite_error(SQLITE_IOERR_FSYNC);
  EXPECT_EQ(ec.category().name(), std::string("sqlite"));
  EXPECT_EQ(ec.value(), SQLITE_IOERR_FSYNC);
  EXPECT_EQ(sqlite_primary_code(ec), SQLITE_IOERR);
  EXPECT_EQ(ec.message(), std::string(sqlite3_errstr(SQLITE_IOERR_FSYNC)) + " (SQLite " +
                              std::to_string(SQLITE_IOERR_FSYNC) + ")");
}

TEST(SqliteErrc, MatchesPortableConditionsWhenCodeIsCommon) {
  EXPECT_EQ(make_sqlite_error(SQLITE_FULL), std::errc::no_space_on_device);
  EXPECT_EQ(make_sqlite_error(SQLITE_READONLY_DBMOVED), std::errc::permission_denied);
  EXPECT_EQ(make_sqlite_error(SQLITE_BUSY), std::errc::device_or_resource_busy);
  EXPECT_NE(make_sqlite_error(SQLITE_CORRUPT), std::errc::no_space_on_device);
}

TEST(SqliteErrc, ReportsNoSqliteCodeWhenErrorIsForeign) {
  EXPECT_EQ(sqlite_primary_code(std::make_error_code(std::errc::io_error)), -1);
  EXPECT_EQ(sqlite_primary_code(OutboxErrc::Full), -1);
}

TEST(OutboxErrc, HasMessageForEveryCodeWhenFormatted) {
  for (int v = 1; v <= static_cast<int>(OutboxErrc::InvalidOptions); ++v) {
    const std::error_code ec(v, outbox_category());
    EXPECT_EQ(ec.message().find("unknown"), std::string::npos) << v;
  }
  const std::error_code ec = OutboxErrc::Full;
  EXPECT_EQ(ec.category().name(), std::string("outbox"));
}

}  // namespace
}  // namespace gw::bridge

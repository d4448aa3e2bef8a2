#include "gateway/bridge/sqlite_errc.hpp"

#include <sqlite3.h>

#include <string>

namespace gw::bridge {
namespace {

class SqliteCategory final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "sqlite"; }

  [[nodiscard]] std::string message(int value) const override {
    return std::string(sqlite3_errstr(value)) + " (SQLite " + std::to_string(value) + ")";
  }

  [[nodiscard]] std::error_condition default_error_condition(int value) const noexcept override {
    switch (value & 0xff) {
      case SQLITE_FULL: return std::errc::no_space_on_device;
      case SQLITE_READONLY:
      case SQLITE_PERM:
      case SQLITE_AUTH: return std::errc::permission_denied;
      case SQLITE_BUSY:
      case SQLITE_LOCKED: return std::errc::device_or_resource_busy;
      case SQLITE_NOMEM: return std::errc::not_enough_memory;
      case SQLITE_TOOBIG: return std::errc::value_too_large;
      default: return {value, *this};
    }
  }
};

}  // namespace

const std::error_category& sqlite_category() noexcept {
  static const SqliteCategory category;
  return category;
}

std::error_code make_sqlite_error(int rc) noexcept { return {rc, sqlite_category()}; }

int sqlite_primary_code(std::error_code ec) noexcept {
  if (ec.category() != sqlite_category()) return -1;
  return ec.value() & 0xff;
}

}  // namespace gw::bridge

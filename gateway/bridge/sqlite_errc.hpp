// The "sqlite" error domain: SQLite result codes (extended codes included, e.g. SQLITE_IOERR_FSYNC)
// as std::error_code, with the text from sqlite3_errstr(). Common codes map to portable
// conditions, so callers may test `ec == std::errc::no_space_on_device` without knowing SQLite:
//   SQLITE_FULL → no_space_on_device, SQLITE_READONLY / SQLITE_PERM / SQLITE_AUTH →
//   permission_denied, SQLITE_BUSY / SQLITE_LOCKED → device_or_resource_busy,
//   SQLITE_NOMEM → not_enough_memory, SQLITE_TOOBIG → value_too_large.
//
// Thread safety: the category is immutable and safe from any thread.
#pragma once

#include <system_error>

namespace gw::bridge {

[[nodiscard]] const std::error_category& sqlite_category() noexcept;

// `rc` is a SQLite result code other than SQLITE_OK / SQLITE_ROW / SQLITE_DONE.
[[nodiscard]] std::error_code make_sqlite_error(int rc) noexcept;

// The primary result code (SQLITE_CANTOPEN for SQLITE_CANTOPEN_ISDIR, ...) of an error in the
// sqlite domain, or -1 for an error from any other domain.
[[nodiscard]] int sqlite_primary_code(std::error_code ec) noexcept;

}  // namespace gw::bridge

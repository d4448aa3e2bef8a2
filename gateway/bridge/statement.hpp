// RAII for SQLite's C handles: DbPtr closes a connection, Statement owns one prepared statement
// and turns result codes into gw::Result (sqlite domain). ResetGuard resets a statement when a
// scope ends, so read transactions and bound buffers are released on every exit path.
//
// Values are bound SQLITE_STATIC (no copy): what is bound must outlive the next step() and the
// reset that follows. Every use binds all parameters again, so a reset statement never reads a
// stale buffer.
//
// Ownership: a Statement owns its sqlite3_stmt and borrows the connection, which must outlive it.
// Thread safety: none; a statement belongs to the thread that owns its connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string_view>

#include "core/result.hpp"

namespace gw::bridge {

struct SqliteClose {
  // close_v2: a connection with statements still alive becomes a zombie and closes with the last.
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, SqliteClose>;

class Statement {
 public:
  Statement() = default;

  // Prepares one SQL statement to be kept for the connection's lifetime
  // (SQLITE_PREPARE_PERSISTENT). Errors: the sqlite code (SQLITE_ERROR for bad SQL, ...).
  static Result<Statement> prepare(sqlite3* db, std::string_view sql);

  // Parameters are 1-based, as in SQL (?1). Errors: SQLITE_RANGE, SQLITE_TOOBIG, SQLITE_NOMEM.
  Result<void> bind(int index, std::int64_t value);
  Result<void> bind_text(int index, std::string_view text);
  Result<void> bind_blob(int index, std::string_view bytes);
  Result<void> bind_null(int index);

  // true: a row is ready for the column accessors; false: the statement has finished.
  // Errors: the statement's (extended) result code.
  Result<bool> step();
  // Steps to the end, ignoring rows; for statements run for their effect (BEGIN, COMMIT).
  Result<void> run();
  void reset() noexcept;

  // Column accessors, valid until the next step() or reset(). Columns are 0-based.
  [[nodiscard]] std::int64_t column_int64(int col) const;
  [[nodiscard]] bool column_is_null(int col) const;
  [[nodiscard]] std::string_view column_text(int col) const;
  [[nodiscard]] std::string_view column_blob(int col) const;

  [[nodiscard]] sqlite3_stmt* get() const { return stmt_.get(); }

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

class ResetGuard {
 public:
  explicit ResetGuard(Statement& s) : s_(s) {}
  ~ResetGuard() { s_.reset(); }
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;

 private:
  Statement& s_;
};

// Runs one-off SQL (schema, pragmas) at open time. Errors: the sqlite code.
Result<void> exec_sql(sqlite3* db, const char* sql);

// How long opening a database waits for a lock another process holds (sqlite3_busy_timeout)
// before it fails with SQLITE_BUSY: an operator's `edge-gateway outbox` or the sqlite3 tool, whose
// last close checkpoints the WAL under an exclusive lock.
inline constexpr int kBusyTimeoutMs = 5000;

}  // namespace gw::bridge

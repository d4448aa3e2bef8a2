#include "gateway/bridge/statement.hpp"

#include "gateway/bridge/sqlite_errc.hpp"

namespace gw::bridge {
namespace {

Result<void> check(int rc) {
  if (rc != SQLITE_OK) return fail(make_sqlite_error(rc));
  return {};
}

// sqlite3_bind_text/blob with a null pointer binds NULL, and an empty std::string_view may carry
// one; an empty value must stay an empty value.
constexpr char kEmpty[] = "";

}  // namespace

Result<Statement> Statement::prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  Statement s;
  s.stmt_.reset(raw);
  if (rc != SQLITE_OK) return fail(make_sqlite_error(rc));
  return s;
}

Result<void> Statement::bind(int index, std::int64_t value) {
  return check(sqlite3_bind_int64(stmt_.get(), index, value));
}

Result<void> Statement::bind_text(int index, std::string_view text) {
  const char* data = text.empty() ? kEmpty : text.data();
  return check(sqlite3_bind_text64(stmt_.get(), index, data, text.size(), SQLITE_STATIC,
                                   SQLITE_UTF8));
}

Result<void> Statement::bind_blob(int index, std::string_view bytes) {
  const char* data = bytes.empty() ? kEmpty : bytes.data();
  return check(sqlite3_bind_blob64(stmt_.get(), index, data, bytes.size(), SQLITE_STATIC));
}

Result<void> Statement::bind_null(int index) { return check(sqlite3_bind_null(stmt_.get(), index)); }

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(make_sqlite_error(rc));
}

Result<void> Statement::run() {
  ResetGuard guard(*this);
  for (;;) {
    auto row = step();
    if (!row) return Failure{row.error()};
    if (!*row) return {};
  }
}

void Statement::reset() noexcept { sqlite3_reset(stmt_.get()); }

std::int64_t Statement::column_int64(int col) const {
  return sqlite3_column_int64(stmt_.get(), col);
}

bool Statement::column_is_null(int col) const {
  return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL;
}

std::string_view Statement::column_text(int col) const {
  // Order matters: column_text converts first, column_bytes then measures the result.
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), col));
  const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), col));
  return p == nullptr ? std::string_view{} : std::string_view(p, n);
}

std::string_view Statement::column_blob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_.get(), col));
  const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), col));
  return p == nullptr ? std::string_view{} : std::string_view(p, n);
}

Result<void> exec_sql(sqlite3* db, const char* sql) {
  return check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr));
}

}  // namespace gw::bridge
